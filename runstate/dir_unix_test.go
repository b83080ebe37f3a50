//go:build unix

package runstate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenRefusesGroupWritable(t *testing.T) {
	state := t.TempDir()
	path := filepath.Join(state, "webui")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o770); err != nil {
		t.Fatal(err)
	}
	_, err := Open(state, "webui")
	if err == nil || !strings.Contains(err.Error(), "writable by group or others (mode 0770); chmod 700") {
		t.Fatalf("Open of a 0770 dir: %v, want the mode refused", err)
	}
	assertOneLine(t, err)
}

func TestOpenRefusesAnotherOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a directory to another uid")
	}
	state := t.TempDir()
	path := filepath.Join(state, "webui")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	_, err := Open(state, "webui")
	if err == nil || !strings.Contains(err.Error(), "owned by uid 4242, not by this hsup's uid 0; chown it") {
		t.Fatalf("Open of another uid's dir: %v, want the owner refused", err)
	}
	assertOneLine(t, err)
}
