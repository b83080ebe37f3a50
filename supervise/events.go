package supervise

import (
	"syscall"
	"time"
)

// Event is one thing that happened to the child, emitted by the loop in
// order through Config.OnEvent. It is one of the types below; switch on
// the type.
type Event interface {
	// Time is when the loop saw it happen.
	Time() time.Time
	isEvent()
}

// ChildStarted: a child process exists.
type ChildStarted struct {
	At      time.Time
	Pid     int
	Pgid    int
	Restart bool // false for hsup's first child
}

// StartFailed: the program could not be started; Code is 127 (not found)
// or 126 (not executable), as a shell reports it, or ExitTransient when
// hsup was short of a resource (Transient: retried, not the program's
// failure).
type StartFailed struct {
	At        time.Time
	Code      int
	Transient bool
	Err       error
}

// TreeChanged: the child's known descendants changed (a worker started,
// one went away). Members are identified by pid and start time.
type TreeChanged struct {
	At      time.Time
	Pid     int
	Pgid    int
	Members []Member
}

// ChildHealthy: the child proved healthy for the first time (or at once,
// without probing).
type ChildHealthy struct {
	At  time.Time
	Pid int
}

// ChildDegraded: a monitor judged the child degraded; a restart follows.
type ChildDegraded struct {
	At     time.Time
	Pid    int
	Reason string // health, deep, heartbeat, busy, startup, fd_pressure
	Detail string // the verdict's sentence
}

// CaptureStarted: a diagnostics bundle is being captured. Restart is false
// for a warning bundle (the child keeps running).
type CaptureStarted struct {
	At      time.Time
	Pid     int
	Reason  string
	Restart bool
}

// CaptureFinished: the capture returned, or the loop stopped waiting for
// it (Abandoned). Dir is the bundle's directory, "" when none was written.
type CaptureFinished struct {
	At        time.Time
	Pid       int
	Reason    string
	Restart   bool
	Dir       string
	Err       error
	Took      time.Duration
	Abandoned bool
}

// ChildStopping: the stop signal went to the child's process group.
type ChildStopping struct {
	At       time.Time
	Pid      int
	Signal   syscall.Signal
	Reason   string
	Shutdown bool // hsup is stopping for good
}

// ChildKilled: the grace ran out; SIGKILL went to the group.
type ChildKilled struct {
	At    time.Time
	Pid   int
	Grace time.Duration
}

// ChildExited: the child was reaped. Code is N for exit N, 128+S for
// signal S. Reason is why it ended: ReasonExit when it ended by itself.
type ChildExited struct {
	At     time.Time
	Pid    int
	Code   int
	Reason string
}

// BackingOff: a restart is decided; the next child starts after Delay.
type BackingOff struct {
	At       time.Time
	Delay    time.Duration
	Attempt  int // 1-based, since the last reset
	Restarts int // restarts decided so far, this one included
	Reason   string
	Detail   string
}

// CrashLoop: the restart just decided is the CrashLoopPolicy.After-th in
// a row without the child running healthy for the backoff's Reset.
// Emitted once per streak, before its BackingOff; restarts go on at the
// backoff's cap.
type CrashLoop struct {
	At       time.Time
	Restarts int // in the streak, this one included
	Reason   string
	Detail   string
	Code     int // the last child's exit status
}

// GaveUp: CrashLoopPolicy.GiveUp restarts in a row failed; hsup stops for
// good and exits ExitGaveUp (an Exiting follows).
type GaveUp struct {
	At       time.Time
	Restarts int
	Reason   string
	Detail   string
	Code     int
}

// Exiting: hsup stops for good and exits with Code (0 for a clean stop:
// told to stop, and the child ended on the stop signal).
type Exiting struct {
	At   time.Time
	Code int
}

func (e ChildStarted) Time() time.Time    { return e.At }
func (e StartFailed) Time() time.Time     { return e.At }
func (e ChildHealthy) Time() time.Time    { return e.At }
func (e TreeChanged) Time() time.Time     { return e.At }
func (e ChildDegraded) Time() time.Time   { return e.At }
func (e CaptureStarted) Time() time.Time  { return e.At }
func (e CaptureFinished) Time() time.Time { return e.At }
func (e ChildStopping) Time() time.Time   { return e.At }
func (e ChildKilled) Time() time.Time     { return e.At }
func (e ChildExited) Time() time.Time     { return e.At }
func (e BackingOff) Time() time.Time      { return e.At }
func (e Exiting) Time() time.Time         { return e.At }
func (e CrashLoop) Time() time.Time       { return e.At }
func (e GaveUp) Time() time.Time          { return e.At }

func (ChildStarted) isEvent()    {}
func (StartFailed) isEvent()     {}
func (ChildHealthy) isEvent()    {}
func (TreeChanged) isEvent()     {}
func (ChildDegraded) isEvent()   {}
func (CaptureStarted) isEvent()  {}
func (CaptureFinished) isEvent() {}
func (ChildStopping) isEvent()   {}
func (ChildKilled) isEvent()     {}
func (ChildExited) isEvent()     {}
func (BackingOff) isEvent()      {}
func (Exiting) isEvent()         {}
func (CrashLoop) isEvent()       {}
func (GaveUp) isEvent()          {}
