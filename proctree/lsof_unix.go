//go:build unix

package proctree

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/hsup/hsup/reaper"
)

const (
	// lsofTimeout bounds one lsof run when the caller's ctx has no
	// earlier deadline: on a busy macOS host lsof can take seconds.
	lsofTimeout = 5 * time.Second
	// lsofWaitDelay bounds the wait for lsof's output pipes after it was
	// killed, should a child of lsof still hold them.
	lsofWaitDelay = time.Second
)

// lsofListeners runs `lsof -nP -t -iTCP:PORT -sTCP:LISTEN` and returns the
// pids it prints. It is the macOS way to find listeners; it builds on every
// Unix so that it is tested on Linux too, where lsof prints the same -t
// format.
func lsofListeners(ctx context.Context, port int) ([]int, error) {
	path, err := exec.LookPath("lsof")
	if err != nil {
		return nil, fmt.Errorf("find listeners on port %d: lsof not found on PATH: %w", port, err)
	}
	ctx, cancel := context.WithTimeout(ctx, lsofTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-nP", "-t", "-iTCP:"+strconv.Itoa(port), "-sTCP:LISTEN")
	// lsof may fork helpers (for stat calls that can block); its own
	// process group lets the deadline kill all of them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = lsofWaitDelay
	out, err := reaper.Output(cmd)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("find listeners on port %d: lsof killed at its deadline: %w", port, ctx.Err())
	}
	if err != nil && !exitedOne(err) {
		return nil, fmt.Errorf("find listeners on port %d: lsof: %w", port, err)
	}
	pids, err := parseLsofPids(out)
	if err != nil {
		return nil, fmt.Errorf("find listeners on port %d: %w", port, err)
	}
	return pids, nil
}

// exitedOne reports whether lsof exited 1: it does when nothing matched
// (no listener: empty output), and on some warnings while still listing
// what it found. Either way its stdout holds the answer, which the parser
// checks.
func exitedOne(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == 1
}
