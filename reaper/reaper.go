package reaper

import (
	"bytes"
	"errors"
	"os/exec"
	"sync"
)

// owner is the registry of pids that a Wait of hsup's will reap. Its lock
// is held from fork to registration (Start) and for each reaping pass
// (Run), so a pass never sees a started process unregistered.
var owner struct {
	sync.Mutex
	owned map[int]bool
}

// released wakes Run after a Release: an orphan that exited under a pid
// that was still registered was skipped, and may send no further SIGCHLD.
var released = make(chan struct{}, 1)

// Start starts cmd and registers its pid, so the PID 1 reaper leaves its
// exit status to Wait. Every process hsup runs is started this way.
func Start(cmd *exec.Cmd) error {
	owner.Lock()
	defer owner.Unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	if owner.owned == nil {
		owner.owned = make(map[int]bool)
	}
	owner.owned[cmd.Process.Pid] = true
	return nil
}

// Wait waits for cmd, started by Start, as cmd.Wait does, then releases its
// pid. On Linux it first waits for the exit with Exited, which holds no OS
// thread; cmd.Wait then returns at once.
func Wait(cmd *exec.Cmd) error {
	if cmd.Process != nil {
		_ = awaitExit(cmd.Process.Pid) // whatever failed, cmd.Wait says it
	}
	err := cmd.Wait()
	if cmd.Process != nil {
		Release(cmd.Process.Pid)
	}
	return err
}

// Owned reports whether pid was started through Start and not yet
// released: a child of hsup that is not Owned is an orphan re-parented to
// it (PID 1, subreaper).
func Owned(pid int) bool {
	owner.Lock()
	defer owner.Unlock()
	return owner.owned[pid]
}

// Release gives pid back to the PID 1 reaper. Call it once the process
// started by Start has been waited for (Wait does).
func Release(pid int) {
	owner.Lock()
	delete(owner.owned, pid)
	owner.Unlock()
	select {
	case released <- struct{}{}:
	default:
	}
}

// stderrCap bounds the stderr that Output keeps for an *exec.ExitError, as
// cmd.Output does.
const stderrCap = 32 << 10

// Output is cmd.Output through the owner: it starts cmd, waits for it and
// returns its standard output. When cmd.Stderr is nil, the start of what
// it wrote to stderr is kept in the *exec.ExitError.
func Output(cmd *exec.Cmd) ([]byte, error) {
	if cmd.Stdout != nil {
		return nil, errors.New("reaper: Stdout already set")
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	var stderr *Capped
	if cmd.Stderr == nil {
		stderr = &Capped{Limit: stderrCap}
		cmd.Stderr = stderr
	}
	err := Start(cmd)
	if err == nil {
		err = Wait(cmd)
	}
	var ee *exec.ExitError
	if stderr != nil && errors.As(err, &ee) {
		ee.Stderr = stderr.Bytes()
	}
	return stdout.Bytes(), err
}

// Capped keeps the first Limit bytes written to it and discards the rest
// without failing the writer: a child's output held in memory, bounded.
// The buffer is a field, not embedded: an embedded bytes.Buffer would make
// Capped an io.ReaderFrom, and io.Copy (exec's pipe copy) would then read
// everything into it past the cap.
type Capped struct {
	Limit int
	buf   bytes.Buffer
}

func (c *Capped) Write(p []byte) (int, error) {
	if room := c.Limit - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Bytes returns what was kept.
func (c *Capped) Bytes() []byte { return c.buf.Bytes() }

// String returns what was kept.
func (c *Capped) String() string { return c.buf.String() }

// mayReap is the whole rule: the PID 1 reaper reaps pid only when no Wait
// of hsup's owns it. A pid of 0 or less is never reaped: waiting for it
// would mean "any child", registered ones included.
func mayReap(pid int, owned map[int]bool) bool {
	return pid > 0 && !owned[pid]
}
