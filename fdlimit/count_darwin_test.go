//go:build darwin

package fdlimit

import (
	"errors"
	"os"
	"os/exec"
	"testing"
)

func TestCountDarwin(t *testing.T) {
	got, err := Count(startHolder(t, 40).Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if got < 3+40 || got > 3+40+inheritSlack {
		t.Fatalf("Count() = %d, want 3+40 (+ at most %d inherited)", got, inheritSlack)
	}
}

// TestCountPidinfo: proc_pidinfo, the counter Count uses unless it
// fails, sees the descriptors lsof sees, and fails for a process that is
// gone rather than counting nothing.
func TestCountPidinfo(t *testing.T) {
	pid := startHolder(t, 40).Process.Pid
	got, err := countPidinfo(pid)
	if err != nil {
		t.Fatal(err)
	}
	if got < 3+40 || got > 3+40+inheritSlack {
		t.Fatalf("countPidinfo() = %d, want 3+40 (+ at most %d inherited)", got, inheritSlack)
	}
	fromLsof, err := countLsof(pid)
	if err != nil {
		t.Fatal(err)
	}
	if got != fromLsof {
		t.Errorf("countPidinfo() = %d, countLsof() = %d, want equal", got, fromLsof)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if n, err := countPidinfo(cmd.Process.Pid); err == nil {
		t.Fatalf("countPidinfo() of an exited process = %d, want an error", n)
	}
}

func TestSoftLimitUnsupported(t *testing.T) {
	if _, err := SoftLimit(os.Getpid()); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("SoftLimit() error = %v, want errors.ErrUnsupported", err)
	}
}
