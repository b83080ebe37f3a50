package supervise

import "time"

// Status is the supervisor's published view of its child: one read-only
// value, replaced (never changed) by the loop after every event it handles.
// /healthz, the metrics and sd_notify's STATUS read it; nobody keeps a copy.
// Zero times mean "not known" or "never".
type Status struct {
	State        State
	Pid          int       // 0 when no child process exists
	Pgid         int       // the child's process group (its lifeline's pid, or its own)
	StartedAt    time.Time // the current child's start
	RunningSince time.Time // when the current child first proved healthy

	Restarts          int    // restarts decided since hsup started
	LastRestartReason string // "" before the first restart
	LastRestartDetail string
	LastExitCode      int
	Exited            bool // a child has exited at least once: LastExitCode is meaningful

	Backoff      time.Duration // the current wait before the next start, 0 when none
	BackoffUntil time.Time
	LastBundle   string // directory of the last bundle written

	// Verdict and VerdictDetail are the current child's degraded verdict
	// (reason and sentence) from the moment it is judged until it exits;
	// "" while it is not degraded. A capture reads them.
	Verdict       string
	VerdictDetail string

	ProbeFailures       int // consecutive failed cheap probes of the current child
	HeartbeatKnown      bool
	HeartbeatValue      float64
	HeartbeatAdvancedAt time.Time

	FDsKnown bool
	OpenFDs  int
	FDLimit  uint64

	Members []Member // the child's descendants as last seen (never changed in place)

	Shutdown bool // hsup has been told to stop for good
}

// Status returns the latest published status. Safe from any goroutine.
func (s *Supervisor) Status() Status { return *s.published.Load() }

// publish makes the loop's working status visible.
func (s *Supervisor) publish() {
	st := s.st
	s.published.Store(&st)
}
