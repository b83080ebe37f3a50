//go:build unix

package diagnose

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestPsGroupArgsHere runs the ps_group command line with this host's ps
// (procps on Linux, BSD ps on macOS): its columns must be understood and
// this process's group found in its output.
func TestPsGroupArgsHere(t *testing.T) {
	ps, err := exec.LookPath("ps")
	if err != nil {
		t.Skip("no ps here")
	}
	out, err := runCmd(context.Background(), ps, psGroupArgs...)
	if err != nil {
		t.Fatalf("%s %q: %v", ps, psGroupArgs, err)
	}
	pgid, err := syscall.Getpgid(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	got, err := filterGroup(out, pgid)
	if err != nil {
		t.Fatalf("filterGroup: %v\n%.2000s", err, out)
	}
	found := false
	for _, l := range strings.Split(string(got), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == strconv.Itoa(os.Getpid()) {
			found = true
		}
	}
	if !found {
		t.Fatalf("group %d lacks this process %d:\n%s", pgid, os.Getpid(), got)
	}
}
