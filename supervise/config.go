package supervise

import (
	"context"
	"os"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// Monitor watches one child and reports what it finds.
type Monitor interface {
	// Watch observes the child with pid until ctx is done. It calls report
	// with facts as it gathers them, with VerdictHealthy when the child first
	// proves healthy, and with VerdictDegraded when it judges the child
	// degraded, after which it may return. report blocks until the loop
	// takes the report or ctx is done. Watch must return once ctx is done.
	Watch(ctx context.Context, pid int, report func(Report))
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

// Verdict is what a report says about the child.
type Verdict int

// Verdicts. A report with VerdictNone carries facts only.
const (
	VerdictNone     Verdict = iota
	VerdictHealthy          // proved healthy (only the first one counts)
	VerdictDegraded         // capture a bundle, then restart
	VerdictWarn             // capture a bundle, keep running
)

// Report is one message from a Monitor to the loop.
type Report struct {
	Verdict Verdict
	Reason  string // with VerdictDegraded/VerdictWarn: the restart or bundle reason (health, fd_pressure, ...)
	Detail  string // the verdict's sentence, for the log and the status
	// NoBundle: the verdict is about something other than the child's state
	// (another process holds its port), so no bundle is captured.
	NoBundle bool
	Probe    *ProbeFacts
	FDs      *FDFacts
	Tree     []Member // when not nil: the child's descendants now (the tree monitor)
}

// Member identifies one process of the child's tree by pid and kernel
// start time (pids are reused; the pair is not).
type Member struct {
	Pid, Pgid int
	Start     uint64
	Comm      string
}

// ProbeFacts is what the health monitor last learned.
type ProbeFacts struct {
	Failures            int  // consecutive failed cheap probes
	HeartbeatKnown      bool // the fields below are meaningful
	HeartbeatValue      float64
	HeartbeatAdvancedAt time.Time
}

// FDFacts is the child's last descriptor count.
type FDFacts struct {
	Open  int
	Limit uint64 // the soft RLIMIT_NOFILE the count is judged against
}

// Capturer writes the diagnostics bundle of a child.
type Capturer interface {
	// Capture records the state of the child with pid, started at
	// childStart, because of reason. It should return when ctx is done; the
	// loop stops waiting for it when ctx's deadline passes. It returns the
	// bundle's directory ("" if none) and an error describing what failed.
	Capture(ctx context.Context, pid int, reason string, childStart time.Time) (string, error)
}

// Config is everything a Supervisor needs. Spec, StopSignal and StopGrace
// are required; nil Health means no probing (a started child is running at
// once); nil Capture means no bundle before a stop.
type Config struct {
	Spec       Spec
	Restart    RestartPolicy
	Backoff    BackoffPolicy
	CrashLoop  CrashLoopPolicy
	StopSignal syscall.Signal
	StopGrace  time.Duration

	Health   HealthMonitor
	Watchers []Monitor // extra monitors (FD pressure): facts, warnings, degraded
	Capture  Capturer
	// DaemonizeWindow: a child that exits 0 this soon after its start while
	// the health URL still answers has double-forked (hsup sets the startup grace).
	DaemonizeWindow time.Duration
	// CaptureTimeout bounds a capture from the loop's side (its own timer);
	// 0 leaves it to the Capturer.
	CaptureTimeout time.Duration

	// Sweep signals the child's descendants that are outside its process
	// group (a setsid'd worker, a daemonized helper) and the known members
	// that are still the same processes, and returns those it signalled.
	// The loop calls it off its goroutine with every stop signal and
	// SIGKILL it sends the group, and with SIGKILL after the child's exit;
	// pid 0 means the known members only (the child's pid may already name
	// another process). nil: the group only.
	Sweep func(pid, pgid int, known []Member, sig syscall.Signal) []Member

	// Signals delivers what hsup receives: ShutdownSignals stop for good,
	// ForwardSignals go to the child.
	Signals <-chan os.Signal
	Log     *zap.Logger
	// OnEvent is called on the loop goroutine for every Event, in order; it
	// must not block (hand slow work to a goroutine of your own).
	OnEvent func(Event)
	Rand    func() float64 // uniform in [0,1), for backoff jitter
	Start   StartFunc      // nil: real processes
}

// ShutdownSignals stop hsup for good: the child is stopped and hsup exits
// with its status.
var ShutdownSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT}

// ForwardSignals are passed to the child unchanged. SIGURG belongs to the Go
// runtime and SIGCHLD to hsup; neither is forwarded.
var ForwardSignals = []os.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGQUIT, syscall.SIGWINCH}

// CaughtSignals are caught and dropped. SIGPIPE: a reader of hsup's
// stdout or stderr that went away must not kill hsup (and orphan the
// child); caught rather than ignored, so the child does not inherit an
// ignored SIGPIPE. Writes to the closed stream fail with EPIPE instead.
var CaughtSignals = []os.Signal{syscall.SIGPIPE}
