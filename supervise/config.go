package supervise

import (
	"context"
	"os"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// Monitor watches one child and reports verdicts about it.
type Monitor interface {
	// Watch observes the child with pid until ctx is done. It calls
	// report(true, "") when the child first proves healthy and
	// report(false, reason) when it judges the child degraded; after a
	// degraded report it may return. It must return once ctx is done.
	Watch(ctx context.Context, pid int, report func(healthy bool, reason string))
}

// HealthMonitor is the monitor whose first healthy report moves a child
// from starting to running.
type HealthMonitor interface {
	Monitor
	// Answering probes once, bounded, and reports whether something answers
	// the health URL right now, with a one-line description naming the port
	// (and the pid holding it, where that can be told).
	Answering(ctx context.Context) (bool, string)
}

// Capturer writes the diagnostics bundle of a child about to be stopped.
type Capturer interface {
	// Capture records the state of the child with pid, started at
	// childStart, degraded because of reason. It must return within its own
	// bounds (and when ctx is done). It returns the bundle's directory ("" if
	// none) and an error describing what failed, for the log.
	Capture(ctx context.Context, pid int, reason string, childStart time.Time) (string, error)
}

// Clock is the loop's time source, fixed when the Supervisor is built.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the loop uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// Event is one state change of the child, for observers (metrics, sd_notify).
type Event struct {
	At       time.Time
	From     State
	State    State
	Pid      int
	Reason   string        // why: a restart reason, "healthy", "started", "signal terminated", ...
	Exited   bool          // the change was caused by the child's exit
	ExitCode int           // valid when Exited
	Backoff  time.Duration // the wait, when State is Backoff
	Restarts int           // restarts decided so far
	Shutdown bool          // hsup is stopping for good
}

// Config is everything a Supervisor needs. Spec, StopSignal and StopGrace
// are required; nil Health means no probing (a started child is running at
// once); nil Capture means no bundle before a stop.
type Config struct {
	Spec       Spec
	Restart    RestartPolicy
	Backoff    BackoffPolicy
	StopSignal syscall.Signal
	StopGrace  time.Duration

	Health   HealthMonitor
	Watchers []Monitor // extra monitors that only ever report degraded (FD pressure)
	Capture  Capturer
	// DaemonizeWindow: a child that exits 0 this soon after its start while
	// the health URL still answers has double-forked (hsup sets the startup grace).
	DaemonizeWindow time.Duration
	// CaptureTimeout bounds a capture from the loop's side; 0 leaves it to the Capturer.
	CaptureTimeout time.Duration

	// Signals delivers what hsup receives: ShutdownSignals stop for good,
	// ForwardSignals go to the child.
	Signals <-chan os.Signal
	Log     *zap.Logger
	Observe func(Event) // called on the loop goroutine; must be quick
	Clock   Clock
	Rand    func() float64 // uniform in [0,1), for backoff jitter
	Start   StartFunc      // nil: real processes
}

// ShutdownSignals stop hsup for good: the child is stopped and hsup exits
// with its status.
var ShutdownSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT}

// ForwardSignals are passed to the child unchanged. SIGURG belongs to the Go
// runtime and SIGCHLD to hsup; neither is forwarded.
var ForwardSignals = []os.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGQUIT, syscall.SIGWINCH}

type realClock struct{}

func (realClock) Now() time.Time                 { return time.Now() }
func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// RealClock is the wall clock.
func RealClock() Clock { return realClock{} }
