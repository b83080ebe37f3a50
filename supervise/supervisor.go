package supervise

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/hsup/hsup/reaper"
)

// abandonWait bounds how long Run, on its way out, waits for a capture it
// abandoned: a collector stuck in the kernel must not keep hsup alive.
const abandonWait = 2 * time.Second

// Supervisor runs one child. Build it with New, run it once with Run.
type Supervisor struct {
	cfg Config
	log *zap.Logger

	// Owned by the Run goroutine.
	st         Status // the working status; published after every event
	child      *child
	reason     string // why the current child is ending (a restart reason)
	detail     string // the verdict's sentence for reason
	attempt    int    // backoff attempts since the last reset
	launching  bool
	lastPid    int           // the child that exited last, for the log
	healthyFor time.Duration // how long the child that ended ran healthy, for the backoff reset
	ranFor     time.Duration // how long the child that ended ran at all, for the backoff's wait
	warnWhy    string        // the reason of the warning capture asked for
	sigpipe    bool          // a SIGPIPE was logged once
	started    bool          // a child has existed: later start failures are restarts, not bad input
	startErr   error         // the first start's failure, returned by Run
	capt       *captureRun
	captSeq    int
	timer      *time.Timer
	timerC     <-chan time.Time

	published atomic.Pointer[Status]
	reports   chan childReport
	launched  chan launchResult
	captured  chan captureResult
	pings     chan chan struct{}
	asks      chan ask
	gaveUp    bool // the crash-loop policy ended supervision: Run returns ExitGaveUp
	// stoppedIdle: told to stop in backoff, with no child running; the
	// last child's status says nothing about this stop, which is clean.
	stoppedIdle bool
	quit        chan struct{} // closed when Run returns: late senders give up
	wg          sync.WaitGroup
	captures    sync.WaitGroup
}

type child struct {
	proc    process
	started time.Time
	ctx     context.Context // its monitors run until this is done
	cancel  context.CancelFunc
}

type childReport struct {
	pid int
	r   Report
}

// New builds a Supervisor, filling the defaults for unset seams.
func New(cfg Config) *Supervisor {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Start == nil {
		cfg.Start = startOS
	}
	if cfg.OnEvent == nil {
		cfg.OnEvent = func(Event) {}
	}
	cfg.Spec.lifelineFailed = func(err error) {
		cfg.Log.Error("the child runs without a lifeline: if hsup dies, its process group is not stopped "+
			"(the service manager's clean-up is the only backstop)", zap.Error(err))
	}
	if sweep := cfg.Sweep; sweep != nil {
		cfg.Spec.sweep = func(pid, pgid int) []Member {
			if pid <= 1 || pgid <= 1 {
				return nil // never a tree rooted at the kernel or init: that is every process
			}
			return sweep(pid, pgid, nil, syscall.SIGKILL)
		}
	}
	s := &Supervisor{
		cfg: cfg, log: cfg.Log,
		st:       Status{State: Backoff}, // no child yet; the first start is due at once
		reports:  make(chan childReport),
		launched: make(chan launchResult),
		captured: make(chan captureResult),
		pings:    make(chan chan struct{}),
		asks:     make(chan ask),
		quit:     make(chan struct{}),
	}
	s.publish()
	return s
}

// Run starts the child and supervises it until it stops for good: the
// restart policy says no more, ctx is done, or a shutdown signal arrives.
// It returns the last child's exit status, or 0 for a clean stop (told to
// stop, and the child ended on the stop signal). A child that cannot be started
// the first time is an error (a *StartError), with nothing left running.
func (s *Supervisor) Run(ctx context.Context) (int, error) {
	defer s.waitCaptures()
	defer s.wg.Wait()
	defer close(s.quit)
	reapCtx, stopReaper := context.WithCancel(context.Background())
	defer stopReaper()
	s.wg.Go(func() { reaper.Run(reapCtx) }) // PID 1 only: orphans re-parented to hsup

	s.step(evTimer, s.facts(), "start") // Backoff with its wait over: start the first child
	done := ctx.Done()
	for s.st.State != Stopped {
		select {
		case <-done:
			done = nil
			s.shutdown("context done")
		case sig := <-s.cfg.Signals:
			s.signal(sig)
		case res := <-s.launched:
			s.launchDone(res)
		case code := <-s.childDone():
			s.exited(code)
		case r := <-s.reports:
			s.report(r)
		case res := <-s.captured:
			s.captureDone(res)
		case <-s.timerC:
			s.timerC = nil
			s.step(evTimer, s.facts(), s.timerWhy())
		case reply := <-s.pings:
			close(reply)
		case q := <-s.asks:
			q.reply <- s.answer(q)
		}
		s.publish()
	}
	s.stopTimer()
	return s.exitCode(), s.startErr
}

// exitCode is Run's status: ExitGaveUp after a crash loop, else the last
// child's (0 for a clean stop).
func (s *Supervisor) exitCode() int {
	if s.gaveUp {
		return ExitGaveUp
	}
	if s.stoppedIdle { // told to stop while no child ran: a clean stop
		return 0
	}
	return exitStatus(s.st.Shutdown, s.st.LastExitCode, s.cfg.StopSignal)
}

// timerWhy is the reason a state change on the loop's timer announces: a
// capture that overran ends in the stop its verdict asked for.
func (s *Supervisor) timerWhy() string {
	if s.st.State == Capturing && s.reason != "" {
		return s.reason
	}
	return "timer"
}

// Ping proves the loop is turning: it round-trips a request through it.
// Watchdogs (sd_notify, /healthz?live=1) call it with a deadline.
func (s *Supervisor) Ping(ctx context.Context) error {
	reply := make(chan struct{})
	select {
	case s.pings <- reply:
	case <-s.quit:
		return errors.New("supervisor stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-reply:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitCaptures waits, bounded, for capture goroutines: an abandoned one
// may be stuck where no context reaches (a hung mkdir).
func (s *Supervisor) waitCaptures() {
	done := make(chan struct{})
	go func() {
		s.captures.Wait()
		close(done)
	}()
	t := time.NewTimer(abandonWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.log.Warn("an abandoned diagnostics capture is still running; exiting without it", zap.Duration("waited", abandonWait))
	}
}

func (s *Supervisor) childDone() <-chan int {
	if s.child == nil {
		return nil
	}
	return s.child.proc.Done()
}

func (s *Supervisor) signal(sig os.Signal) {
	ss, _ := sig.(syscall.Signal)
	switch ss {
	case syscall.SIGTERM, syscall.SIGINT:
		s.shutdown("signal " + sig.String())
		return
	case syscall.SIGPIPE: // a reader of hsup's output went away: not the child's business
		if !s.sigpipe {
			s.sigpipe = true
			s.log.Info("a reader of hsup's output went away (SIGPIPE); supervision goes on, and what cannot be " +
				"written is dropped and counted (hsup_output_dropped_bytes_total)")
		}
		return
	}
	if s.child == nil {
		s.log.Debug("no child to forward signal to", zap.Stringer("signal", sig))
		return
	}
	if err := s.child.proc.Signal(ss, false); err != nil {
		s.log.Warn("forward signal", zap.Stringer("signal", sig), zap.Error(err))
	}
}

func (s *Supervisor) shutdown(why string) {
	s.st.Shutdown = true
	s.stoppedIdle = s.st.State == Backoff && s.child == nil && !s.launching
	switch s.st.State {
	case Starting, Running, Capturing: // the shutdown is why this child ends
		s.reason, s.detail = "shutdown", why
	}
	if s.reason == "" {
		s.reason, s.detail = "shutdown", why
	}
	s.step(evShutdown, s.facts(), why)
}

// facts gathers what next needs from the loop's own state; handlers that
// know more (restart policy, which capture finished) fill the rest.
func (s *Supervisor) facts() facts {
	return facts{
		launching: s.launching,
		capture:   s.cfg.Capture != nil,
		capturing: s.capt != nil,
		shutdown:  s.st.Shutdown,
	}
}

// step feeds one event to the state machine, carries out its action, and
// announces the state change, if any, with why.
func (s *Supervisor) step(e event, f facts, why string) {
	from := s.st.State
	to, act := next(from, e, f)
	s.st.State = to
	fields := s.do(act)
	if to != from {
		s.announce(from, why, fields...)
	}
}

// announce records a state change in the log: one line, with its reason.
func (s *Supervisor) announce(from State, why string, extra ...zap.Field) {
	fields := append([]zap.Field{zap.String("from", from.String()), zap.Int("pid", s.pidForLog()),
		zap.String("reason", why)}, extra...)
	s.log.Info("child "+s.st.State.String(), fields...)
}

// pidForLog is the current child's pid, or the one that just exited.
func (s *Supervisor) pidForLog() int {
	if s.child != nil {
		return s.child.proc.Pid()
	}
	return s.lastPid
}

func (s *Supervisor) emit(e Event) { s.cfg.OnEvent(e) }
