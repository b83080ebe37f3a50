package proctree

import (
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSameAcrossDeath follows one process from running through zombie to
// reaped: Same holds only while it runs, and never for a wrong Start.
func TestSameAcrossDeath(t *testing.T) {
	cmd := helperCmd(t, "block")
	cmd.Stderr = os.Stderr
	if _, err := cmd.StdinPipe(); err != nil { // EOF for the helper when the test ends
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	p, ok := Identify(pid)
	if !ok || p.Pid != pid || p.PPid != os.Getpid() || p.Zombie || p.Start == 0 {
		t.Fatalf("Identify(%d) = %+v, %v; want the running helper", pid, p, ok)
	}
	if !Same(p) {
		t.Fatalf("Same(%+v) = false for the running helper", p)
	}
	wrong := p
	wrong.Start++
	if Same(wrong) {
		t.Fatalf("Same(%+v) = true with a wrong start time", wrong)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExitedUnreaped(t, pid)
	if z, ok := Identify(pid); !ok || !z.Zombie || z.Start != p.Start {
		t.Fatalf("Identify(%d) after SIGKILL = %+v, %v; want the same process as a zombie", pid, z, ok)
	}
	if Same(p) {
		t.Fatal("Same() = true for a zombie")
	}

	_ = cmd.Wait() // reap
	if Same(p) {
		t.Fatal("Same() = true after the process was reaped")
	}
	if q, ok := Identify(pid); ok && q.Start == p.Start {
		t.Fatalf("Identify(%d) after reaping = %+v, still the same process", pid, q)
	}
}

// waitExitedUnreaped waits, up to waitBound, until child pid has exited,
// leaving it a zombie (waitid with WNOWAIT).
func waitExitedUnreaped(t *testing.T, pid int) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		var info unix.Siginfo
		done <- unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
	}()
	timer := time.NewTimer(waitBound)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("waitid(%d): %v", pid, err)
		}
	case <-timer.C:
		t.Fatalf("pid %d did not exit within %s of SIGKILL", pid, waitBound)
	}
}
