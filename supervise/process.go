package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/hsup/hsup/reaper"
)

// Spec is what a child is started from.
type Spec struct {
	Path   string   // absolute or PATH-resolved program
	Args   []string // argv, Args[0] included
	Env    []string
	Dir    string
	Stdout io.Writer
	Stderr io.Writer
	// Stdin: nil is /dev/null. A child in a background process group that
	// reads hsup's terminal would be stopped by SIGTTIN (and restarted,
	// forever); a service has no input anyway.
	Stdin io.Reader
	// Lifeline builds the guard started before each child (see Lifeline);
	// nil: no guard, the child leads its own process group.
	Lifeline func() *exec.Cmd
	// lifelineFailed, set by New, logs a lifeline that could not start.
	lifelineFailed func(error)
	// sweep, set by New from Config.Sweep, SIGKILLs what is left of the
	// child's tree outside its group once the child exited, before the
	// exit is reported: a kill -9 of hsup right after the exit finds
	// nothing of the tree left to orphan.
	sweep func(pid, pgid int) []Member
}

// process is one running child, as the loop sees it.
type process interface {
	// Pid is the child's process id.
	Pid() int
	// Pgid is the child's process group: its lifeline's pid, or its own.
	Pgid() int
	// Signal sends sig to the child alone, or with group to its whole process group.
	Signal(sig syscall.Signal, group bool) error
	// Done delivers the child's exit code exactly once, when it has been
	// reaped and what was left of its tree was killed.
	Done() <-chan int
	// Swept is what was killed of the tree outside the group after the
	// exit (valid once Done has delivered).
	Swept() []Member
}

// StartFunc starts a child. The real one is startOS; tests pass fakes.
type StartFunc func(Spec) (process, error)

var _ process = (*osProcess)(nil)

type osProcess struct {
	pid, pgid int
	done      chan int
	swept     []Member // written before done is sent
}

func (p *osProcess) Pid() int         { return p.pid }
func (p *osProcess) Pgid() int        { return p.pgid }
func (p *osProcess) Done() <-chan int { return p.done }
func (p *osProcess) Swept() []Member  { return p.swept }

// Signal sends sig to the child, and with group to its process group too:
// a child that called setsid() itself has left the group, and must still
// get every stop signal and the SIGKILL.
func (p *osProcess) Signal(sig syscall.Signal, group bool) error {
	var errs []error
	if group {
		errs = append(errs, kill(-p.pgid, sig))
	}
	return errors.Join(append(errs, kill(p.pid, sig))...)
}

func kill(target int, sig syscall.Signal) error {
	if err := syscall.Kill(target, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %v to pid %d: %w", sig, target, err)
	}
	return nil
}

// outputDrain bounds how long the exit waits for the child's output pipes
// after it died: a grandchild that escaped the group may hold them open.
const outputDrain = time.Second

// startOS starts the child as hsup's direct child, in the process group of
// its lifeline (or its own group without one), and waits for it in a
// goroutine of its own.
func startOS(spec Spec) (process, error) {
	type started struct {
		p   *osProcess
		err error
	}
	ch := make(chan started, 1)
	go func() {
		line := startLifeline(spec)
		cmd := exec.Command(spec.Path)
		cmd.Args, cmd.Env, cmd.Dir = spec.Args, spec.Env, spec.Dir
		cmd.Stdin, cmd.Stdout, cmd.Stderr = spec.Stdin, spec.Stdout, spec.Stderr
		cmd.SysProcAttr = sysProcAttr(line.pgid())
		cmd.WaitDelay = outputDrain
		// Through the one owner of waiting: as PID 1, hsup never reaps the
		// child behind waitAndClean's back.
		if err := reaper.Start(cmd); err != nil {
			line.end()
			ch <- started{err: fmt.Errorf("start %q: %w", spec.Path, err)}
			return
		}
		p := &osProcess{pid: cmd.Process.Pid, pgid: cmd.Process.Pid, done: make(chan int, 1)}
		if line != nil {
			p.pgid = line.pgid()
		}
		ch <- started{p: p}
		err := waitAndClean(cmd, p.pgid, func() {
			line.childExited() // its death in the group kill below is expected
			if spec.sweep != nil && pidPinnedAtExit {
				p.swept = spec.sweep(p.pid, p.pgid)
			}
		})
		reaper.Release(p.pid)
		line.end() // the group kill took the guard too: reap it, close its pipe
		p.done <- waitCode(cmd, err)
	}()
	s := <-ch
	if s.err != nil {
		return nil, s.err
	}
	return s.p, nil
}

// waitCode turns what cmd.Wait said into an exit code.
func waitCode(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState != nil {
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			return exitCode(ws)
		}
		return cmd.ProcessState.ExitCode()
	}
	if err != nil {
		return 128 + int(syscall.SIGKILL)
	}
	return 0
}

// toStartError gives a start failure its meaning: 127 not found, 126 not
// executable (as a shell says), or transient: hsup itself was short of a
// resource (processes, memory, descriptors), which says nothing about the
// program and is retried.
func toStartError(err error) *StartError {
	var se *StartError
	if errors.As(err, &se) {
		return se
	}
	switch {
	case isTransient(err):
		return &StartError{Code: ExitTransient, Transient: true, Err: err}
	case errors.Is(err, os.ErrNotExist):
		return &StartError{Code: 127, Err: err}
	}
	return &StartError{Code: 126, Err: err}
}

// isTransient: the fork or exec failed for want of a resource of hsup's
// (a pids cgroup at its limit, memory, descriptors), not for the program.
func isTransient(err error) bool {
	for _, e := range []error{syscall.EAGAIN, syscall.ENOMEM, syscall.EMFILE, syscall.ENFILE, syscall.EINTR, syscall.ETXTBSY} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// ExitTransient is hsup's exit status when it must stop after a start that
// failed for want of a resource of hsup's own (EX_TEMPFAIL): a service
// manager may retry it; the generated unit and plist do not prevent that.
const ExitTransient = 75

// StartError is a child that could not be started. Code is the shell's
// convention: 127 not found, 126 found but not executable; ExitTransient
// when Transient (hsup was short of a resource).
type StartError struct {
	Code      int
	Transient bool
	Err       error
}

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// Resolve finds program the way a shell would and checks it can run, so
// bad input fails before anything starts.
func Resolve(program string) (string, error) {
	path, err := exec.LookPath(program)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return "", &StartError{Code: 127, Err: fmt.Errorf("program %q not found: give an absolute path or put it on PATH", program)}
		}
		if errors.Is(err, syscall.EISDIR) {
			return "", &StartError{Code: 126, Err: fmt.Errorf("program %q is a directory: give the path of the program file", program)}
		}
		return "", &StartError{Code: 126, Err: fmt.Errorf("program %q cannot be executed (%w): check its permissions (chmod +x)", program, err)}
	}
	return path, nil
}
