package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
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
	// Lifeline builds the guard started before each child (see Lifeline);
	// nil: no guard, the child leads its own process group.
	Lifeline func() *exec.Cmd
	// StopSignal is what the kernel sends the child when the thread that
	// started it (hsup) dies, on Linux; 0 means SIGKILL.
	StopSignal syscall.Signal
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

func (p *osProcess) Signal(sig syscall.Signal, group bool) error {
	target := p.pid
	if group {
		target = -p.pgid
	}
	if err := syscall.Kill(target, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %v to pid %d: %w", sig, target, err)
	}
	return nil
}

// outputDrain bounds how long the exit waits for the child's output pipes
// after it died: a grandchild that escaped the group may hold them open.
const outputDrain = time.Second

// startOS starts the child as hsup's direct child, in the process group of
// its lifeline (or its own group without one). The goroutine that forks
// holds its OS thread for the child's whole life: Linux's parent-death
// signal fires when the forking *thread* exits (golang/go#27505), and the
// Go runtime may retire an unlocked thread.
func startOS(spec Spec) (process, error) {
	type started struct {
		p   *osProcess
		err error
	}
	ch := make(chan started, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		line := startLifeline(spec)
		cmd := exec.Command(spec.Path)
		cmd.Args, cmd.Env, cmd.Dir = spec.Args, spec.Env, spec.Dir
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, spec.Stdout, spec.Stderr
		cmd.SysProcAttr = sysProcAttr(line.pgid(), spec.StopSignal)
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
			if spec.sweep != nil {
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

// toStartError gives a start failure its shell exit code.
func toStartError(err error) *StartError {
	var se *StartError
	if errors.As(err, &se) {
		return se
	}
	code := 126
	if errors.Is(err, os.ErrNotExist) {
		code = 127
	}
	return &StartError{Code: code, Err: err}
}

// StartError is a child that could not be started; Code is the shell's
// convention: 127 not found, 126 found but not executable.
type StartError struct {
	Code int
	Err  error
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
		return "", &StartError{Code: 126, Err: fmt.Errorf("program %q cannot be executed (%w): check its permissions (chmod +x)", program, err)}
	}
	return path, nil
}
