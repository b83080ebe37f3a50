//go:build linux

package reaper

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/test/reexec"
)

func init() { reexec.Register("exit-at-eof", exitAtEOFHelper) }

// exitAtEOFHelper reads its stdin to the end, then exits 5: the test
// decides when it exits by closing the pipe.
func exitAtEOFHelper(...string) int {
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 5
}

// While the child runs, Exited waits in Go's poller, holding no OS thread
// (a blocking waitid shows as [syscall]); once the child exits it returns
// without reaping it, and Wait still gets its status.
func TestExitedWaitsOnThePollerAndLeavesTheStatus(t *testing.T) {
	cmd := helperCmd(t, "exit-at-eof")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Exited(cmd.Process.Pid) }()

	waitForGoroutine(t, "reaper.Exited", "[IO wait")
	select {
	case err := <-done:
		t.Fatalf("Exited returned (%v) while the child runs", err)
	default:
	}
	stdin.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Exited: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("Exited did not return within %v of the child's exit", waitLimit)
	}
	if state, err := procState(cmd.Process.Pid); err != nil || !strings.HasPrefix(state, "Z") {
		t.Fatalf("child state after Exited = %q (%v), want Z: it was reaped", state, err)
	}
	var ee *exec.ExitError
	if err := Wait(cmd); !errors.As(err, &ee) || ee.ExitCode() != 5 {
		t.Fatalf("Wait = %v, want exit status 5", err)
	}
}

// waitForGoroutine polls hsup's goroutine dump, within waitLimit, until a
// goroutine whose stack has fn is in a state that begins with state.
func waitForGoroutine(t *testing.T, fn, state string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var last string
	for time.Now().Before(deadline) {
		buf := make([]byte, 1<<20)
		all := string(buf[:runtime.Stack(buf, true)])
		for _, g := range strings.Split(all, "\n\n") {
			if strings.Contains(g, fn+"(") {
				head, _, _ := strings.Cut(g, "\n")
				if strings.Contains(head, state) {
					return
				}
				last = head
			}
		}
		<-tick.C
	}
	t.Fatalf("no goroutine in %s reached %s within %v (last seen: %q)", fn, state, waitLimit, last)
}
