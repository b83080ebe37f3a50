package supervise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/hsup/hsup/proctree"
	"github.com/hsup/hsup/reaper"
)

// The lifeline: a guard process in the child's process group that stops
// the group when hsup dies, however it dies (SIGKILL, a panic, the OOM
// killer). hsup holds the only write end of a pipe whose read end the
// guard holds; the kernel closes the write end when hsup is gone, and the
// guard reads EOF. The guard leads the group and the child joins it, so
// the group exists from before the child's first instruction. It ignores
// the signals a group stop or a terminal sends, and dies with the SIGKILL
// hsup sends the group after every child exit.

// lifelineFD is the guard's read end of the pipe (ExtraFiles[0]).
const lifelineFD = 3

// lifeline is one started guard, as hsup holds it.
type lifeline struct {
	cmd    *exec.Cmd
	w      *os.File      // the write end: only hsup holds it
	done   chan struct{} // closed once the guard is reaped
	ending chan struct{} // closed when hsup ends the guard (its child exited)
	once   sync.Once
}

// startLifeline starts the guard for the next child; nil when the spec has
// none or it cannot start (the child then leads its own group: it runs
// unguarded rather than not at all, and the failure is logged). A guard
// that dies while its child runs is logged too: the child cannot be moved
// to a new group, so it stays unguarded until its next start.
func startLifeline(spec Spec) *lifeline {
	if spec.Lifeline == nil {
		return nil
	}
	failed := func(err error) *lifeline {
		if spec.lifelineFailed != nil {
			spec.lifelineFailed(err)
		}
		return nil
	}
	r, w, err := os.Pipe() // both ends close-on-exec: no other child inherits them
	if err != nil {
		return failed(fmt.Errorf("lifeline pipe: %w", err))
	}
	defer r.Close()
	ready, readyW, err := os.Pipe()
	if err != nil {
		w.Close()
		return failed(fmt.Errorf("lifeline pipe: %w", err))
	}
	defer ready.Close()
	cmd := spec.Lifeline()
	cmd.ExtraFiles = []*os.File{r}
	cmd.Stdout = readyW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = reaper.Start(cmd)
	readyW.Close()
	if err != nil {
		w.Close()
		return failed(fmt.Errorf("start lifeline: %w", err))
	}
	l := &lifeline{cmd: cmd, w: w, done: make(chan struct{}), ending: make(chan struct{})}
	go l.wait(failed)
	// The child joins the guard's group only once the guard ignores the
	// signals a group stop sends: a stop right after the start would
	// otherwise kill the guard before it could guard anything.
	_ = ready.SetReadDeadline(time.Now().Add(lifelineReadyWait))
	if _, err := ready.Read(make([]byte, 1)); err != nil {
		// Not ready (it died: no thread at a pids limit, say): the child
		// must not join the group of a dead guard (setpgid fails), so it
		// leads its own group, unguarded, and the failure is logged.
		l.childExited() // its death is reported here, not as a surprise
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-l.done
		w.Close()
		return failed(fmt.Errorf("lifeline (pid %d) did not say it was ready within %v: %w", cmd.Process.Pid, lifelineReadyWait, err))
	}
	return l
}

// lifelineReadyWait bounds the wait for a started lifeline to be ready.
const lifelineReadyWait = 5 * time.Second

// wait reaps the guard when it dies, and reports it when that is before
// its child's end.
func (l *lifeline) wait(failed func(error) *lifeline) {
	err := reaper.Wait(l.cmd)
	close(l.done)
	select {
	case <-l.ending:
	default:
		failed(fmt.Errorf("lifeline (pid %d) ended while its child runs (%v): if hsup dies now, nothing stops the child's group", l.cmd.Process.Pid, err))
	}
}

func (l *lifeline) pgid() int {
	if l == nil {
		return 0
	}
	return l.cmd.Process.Pid
}

// childExited marks the guard's coming death (the group kill after its
// child's exit) as expected.
func (l *lifeline) childExited() {
	if l != nil {
		l.once.Do(func() { close(l.ending) })
	}
}

// end waits for the guard to be reaped (it died with the group kill after
// its child's exit; the kill covers a child that failed to start) and
// closes the pipe.
func (l *lifeline) end() {
	if l == nil {
		return
	}
	l.childExited()
	_ = l.cmd.Process.Signal(syscall.SIGKILL)
	<-l.done
	l.w.Close()
}

// lifelineIgnored are the signals the guard ignores: a group stop, a
// terminal's job control, forwarded signals. SIGKILL ends it.
var lifelineIgnored = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGUSR1, syscall.SIGUSR2,
	syscall.SIGWINCH, syscall.SIGPIPE}

// Lifeline is the guard's whole life, run by `hsup lifeline`: it waits for
// EOF on its pipe (fd 3), then stops its process group as hsup would:
// sig and SIGCONT, up to grace for the other members to go, then SIGKILL
// of the group, itself included. First, it takes the group members'
// descendants outside the group (a worker that called setsid()) while
// their parents still hold them, and stops them the same way; also, when
// not nil, runs meanwhile (the recorded descendants). Everything is bounded
// by the grace and a second. Lifeline returns only if the kill failed.
func Lifeline(sig syscall.Signal, grace time.Duration, log io.Writer, also func(context.Context)) error {
	if err := lifelineSetup(sig); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, os.NewFile(lifelineFD, "lifeline")) // returns at EOF: hsup is gone
	pgid := syscall.Getpgrp()
	// The line goes out on its own goroutine: hsup's stderr may be a pipe
	// nobody reads, and the stop must not wait on it.
	go fmt.Fprintf(log, `{"level":"warn","msg":"hsup is gone; the lifeline stops the child's process group","pgid":%d,"signal":%q,"grace":%q}`+"\n",
		pgid, sig.String(), grace.String())
	deadline := time.Now().Add(grace)
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(time.Second))
	defer cancel()
	outside := outsideGroup(pgid)
	done := make(chan struct{})
	go func() {
		defer close(done)
		stopAll(ctx, outside, sig, grace)
		if also != nil {
			also(ctx)
		}
	}()
	if sig == syscall.SIGKILL { // the group's SIGKILL ends this guard: the rest first
		waitDone(ctx, done)
	}
	_ = syscall.Kill(-pgid, sig)
	_ = syscall.Kill(-pgid, syscall.SIGCONT)
	for time.Now().Before(deadline) && othersInGroup(pgid) {
		time.Sleep(20 * time.Millisecond) // polling the process table; nothing to wait on
	}
	waitDone(ctx, done)
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("lifeline: kill process group %d: %w", pgid, err)
	}
	select {} // the SIGKILL of the group ends this process too
}

// lifelineSetup refuses to run other than as hsup starts it (the leader
// of a group of its own, which it will kill, holding a pipe: run by hand
// it would kill the shell's group), and ignores the signals a group stop
// or a terminal sends.
func lifelineSetup(sig syscall.Signal) error {
	if syscall.Getpgrp() != os.Getpid() {
		return errors.New("lifeline: not the leader of its own process group; it is started by hsup run, not by hand")
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(lifelineFD, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return errors.New("lifeline: fd 3 is not hsup's pipe; it is started by hsup run, not by hand")
	}
	signal.Ignore(lifelineIgnored...)
	if sig != syscall.SIGKILL && sig != syscall.SIGSTOP {
		signal.Ignore(sig)
	}
	// Ready: hsup starts the child now (a closed stdout says it too).
	_, _ = os.Stdout.Write([]byte{'\n'})
	_ = os.Stdout.Close()
	return nil
}

func waitDone(ctx context.Context, done <-chan struct{}) {
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// outsideGroup is what descends from the group's members but has left the
// group, identified by pid and start time.
func outsideGroup(pgid int) []proctree.Proc {
	t, err := proctree.Snapshot()
	if err != nil {
		return nil
	}
	var roots []int
	for _, p := range t.Group(pgid) {
		roots = append(roots, p.Pid)
	}
	var out []proctree.Proc
	for _, p := range t.Descendants(roots...) {
		if p.Pgid != pgid && !p.Zombie && p.Pid > 1 {
			out = append(out, p)
		}
	}
	return out
}

// stopAll stops procs as the group is stopped: sig and SIGCONT, up to
// grace for them to go, SIGKILL for those still the same processes.
func stopAll(ctx context.Context, procs []proctree.Proc, sig syscall.Signal, grace time.Duration) {
	if len(procs) == 0 {
		return
	}
	for _, p := range procs {
		_ = syscall.Kill(p.Pid, sig)
		_ = syscall.Kill(p.Pid, syscall.SIGCONT)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) && ctx.Err() == nil && anySame(procs) {
		time.Sleep(20 * time.Millisecond) // polling the process table; nothing to wait on
	}
	for _, p := range procs {
		if proctree.Same(p) {
			_ = syscall.Kill(p.Pid, syscall.SIGKILL)
		}
	}
}

func anySame(procs []proctree.Proc) bool {
	return slices.ContainsFunc(procs, proctree.Same)
}

// othersInGroup reports whether a live process other than the guard is in
// the group. When the table cannot be read it says yes: wait out the grace.
func othersInGroup(pgid int) bool {
	t, err := proctree.Snapshot()
	if err != nil {
		return true
	}
	self := os.Getpid()
	for _, p := range t.Group(pgid) {
		if p.Pid != self && !p.Zombie {
			return true
		}
	}
	return false
}
