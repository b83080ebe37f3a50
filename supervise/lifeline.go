package supervise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
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
	cmd *exec.Cmd
	w   *os.File // the write end: only hsup holds it
}

// startLifeline starts the guard for the next child; nil when the spec has
// none or it cannot start (the child then leads its own group: it runs
// unguarded rather than not at all, and the failure is on stderr).
func startLifeline(spec Spec) *lifeline {
	if spec.Lifeline == nil {
		return nil
	}
	r, w, err := os.Pipe() // both ends close-on-exec: no other child inherits them
	if err != nil {
		fmt.Fprintf(os.Stderr, "hsup: lifeline not started, the child runs unguarded: %v\n", err)
		return nil
	}
	defer r.Close()
	cmd := spec.Lifeline()
	cmd.ExtraFiles = []*os.File{r}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := reaper.Start(cmd); err != nil {
		w.Close()
		fmt.Fprintf(os.Stderr, "hsup: lifeline not started, the child runs unguarded: %v\n", err)
		return nil
	}
	return &lifeline{cmd: cmd, w: w}
}

func (l *lifeline) pgid() int {
	if l == nil {
		return 0
	}
	return l.cmd.Process.Pid
}

// end reaps the guard (killed with the group) and closes the pipe.
func (l *lifeline) end() {
	if l == nil {
		return
	}
	_ = l.cmd.Process.Kill() // already dead after a group kill; this covers a failed child start
	_ = reaper.Wait(l.cmd)
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
// of the group, itself included. also, when not nil, runs meanwhile with
// a context bounded by the grace and a second: it stops what is outside
// the group (the recorded descendants). Lifeline returns only if the kill
// failed.
func Lifeline(sig syscall.Signal, grace time.Duration, log io.Writer, also func(context.Context)) error {
	// Only as hsup starts it: the leader of a group of its own (which it
	// will kill), holding a pipe. Run by hand, it would kill the shell's group.
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
	pipe := os.NewFile(lifelineFD, "lifeline")
	_, _ = io.Copy(io.Discard, pipe) // returns at EOF: hsup is gone
	pgid := syscall.Getpgrp()
	fmt.Fprintf(log, `{"level":"warn","msg":"hsup is gone; the lifeline stops the child's process group","pgid":%d,"signal":%q,"grace":%q}`+"\n",
		pgid, sig.String(), grace.String())
	_ = syscall.Kill(-pgid, sig)
	_ = syscall.Kill(-pgid, syscall.SIGCONT)
	deadline := time.Now().Add(grace)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if also != nil {
			ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(time.Second))
			defer cancel()
			also(ctx)
		}
	}()
	for time.Now().Before(deadline) && othersInGroup(pgid) {
		time.Sleep(20 * time.Millisecond) // polling the process table; nothing to wait on
	}
	<-done // bounded by its context
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("lifeline: kill process group %d: %w", pgid, err)
	}
	select {} // the SIGKILL of the group ends this process too
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
