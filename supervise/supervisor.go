package supervise

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// Supervisor runs one child. Build it with New, run it once with Run.
type Supervisor struct {
	cfg Config
	log *zap.Logger

	// Owned by the Run goroutine.
	state       State
	child       *child
	reason      string // why the current child is ending
	shutdown    bool
	attempt     int
	restarts    int
	lastCode    int
	timer       Timer
	timerC      <-chan time.Time
	captureEnd  context.CancelFunc
	lastBackoff time.Duration

	verdicts chan verdict
	captured chan int // pid whose capture finished
	pings    chan chan struct{}
	quit     chan struct{} // closed when Run returns: late senders give up
	wg       sync.WaitGroup
}

type child struct {
	proc      process
	started   time.Time
	runningAt time.Time // zero until it proves healthy
	cancel    context.CancelFunc
}

type verdict struct {
	pid     int
	healthy bool
	reason  string
}

// New builds a Supervisor, filling the defaults for unset seams.
func New(cfg Config) *Supervisor {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock()
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Start == nil {
		cfg.Start = startOS
	}
	if cfg.Observe == nil {
		cfg.Observe = func(Event) {}
	}
	return &Supervisor{
		cfg: cfg, log: cfg.Log, state: Stopped, // the first start comes from nothing
		verdicts: make(chan verdict),
		captured: make(chan int),
		pings:    make(chan chan struct{}),
		quit:     make(chan struct{}),
	}
}

// Run starts the child and supervises it until it stops for good: the
// restart policy says no more, ctx is done, or a shutdown signal arrives.
// It returns the last child's exit status. A child that cannot be started
// the first time is an error (a *StartError), with nothing left running.
func (s *Supervisor) Run(ctx context.Context) (int, error) {
	defer s.wg.Wait()
	defer close(s.quit)
	reapCtx, stopReaper := context.WithCancel(context.Background())
	defer stopReaper()
	s.wg.Go(func() { reapZombies(reapCtx) })

	s.preflight()
	proc, err := s.cfg.Start(s.cfg.Spec)
	if err != nil {
		return 0, toStartError(err)
	}
	s.adopt(proc, "started")
	done := ctx.Done()
	for s.state != Stopped {
		select {
		case <-done:
			done = nil
			s.handle(evShutdown, "context done")
		case sig := <-s.cfg.Signals:
			s.signal(sig)
		case code := <-s.childDone():
			s.exited(code)
		case v := <-s.verdicts:
			s.verdict(v)
		case pid := <-s.captured:
			s.captureDone(pid)
		case <-s.timerC:
			s.timerC = nil
			s.handle(evTimer, "timer")
		case reply := <-s.pings:
			close(reply)
		}
	}
	s.stopTimer()
	return s.lastCode, nil
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

func toStartError(err error) error {
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

func (s *Supervisor) childDone() <-chan int {
	if s.child == nil {
		return nil
	}
	return s.child.proc.Done()
}

func (s *Supervisor) signal(sig os.Signal) {
	ss, _ := sig.(syscall.Signal)
	if ss == syscall.SIGTERM || ss == syscall.SIGINT {
		s.handle(evShutdown, "signal "+sig.String())
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
