//go:build linux

package fdlimit

import (
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCountRealChild(t *testing.T) {
	got, err := Count(startHolder(t, 300).Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if got < 3+300 || got > 3+300+inheritSlack {
		t.Fatalf("Count() = %d, want 3+300 (+ at most %d inherited)", got, inheritSlack)
	}
}

func TestSoftLimitRealChild(t *testing.T) {
	cmd := startHolder(t, 0)
	pid := cmd.Process.Pid
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Fatal(err)
	}
	set := unix.Rlimit{Cur: 321, Max: old.Max}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &set, nil); err != nil {
		t.Fatal(err)
	}
	got, err := SoftLimit(pid)
	if err != nil {
		t.Fatal(err)
	}
	if got != 321 {
		t.Fatalf("SoftLimit() = %d, want 321 (set with prlimit)", got)
	}
}

func TestCountNoProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := Count(cmd.Process.Pid); err == nil {
		t.Fatal("Count() of an exited process: want an error")
	}
	if _, err := SoftLimit(cmd.Process.Pid); err == nil {
		t.Fatal("SoftLimit() of an exited process: want an error")
	}
}

// TestCountAgreesWithLsof checks /proc against an independent reader.
func TestCountAgreesWithLsof(t *testing.T) {
	if _, err := exec.LookPath("lsof"); err != nil {
		t.Skipf("lsof not on PATH: %v", err)
	}
	pid := startHolder(t, 25).Process.Pid
	// sleep(1) may still hold a locale file from its own start-up for a
	// moment after exec, so compare once both views agree, bounded.
	var fromProc, fromLsof int
	for try := 0; try < 20; try++ {
		var err error
		if fromProc, err = Count(pid); err != nil {
			t.Fatal(err)
		}
		if fromLsof, err = countLsof(pid); err != nil {
			t.Fatal(err)
		}
		if fromProc == fromLsof {
			return
		}
	}
	t.Fatalf("Count() = %d, countLsof() = %d after 20 tries, want equal", fromProc, fromLsof)
}
