package ledger

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hsup/hsup/supervise"
)

// FileName is the ledger's file in the service's directory.
const FileName = "ledger.jsonl"

// The events of a ledger line.
const (
	EventHsupStarted   = "hsup_started"
	EventChildStarted  = "child_started"
	EventHealthy       = "healthy"
	EventDegraded      = "degraded"
	EventBundleWritten = "bundle_written"
	EventStopping      = "stopping"
	EventKilled        = "killed"
	EventExited        = "exited"
	EventBackoff       = "backoff"
	EventCrashLoop     = "crash_loop"
	EventGaveUp        = "gave_up"
	EventStartFailed   = "start_failed"
	EventHsupStopped   = "hsup_stopped"
	// EventLinesDropped is written by the file's writer, without a seq,
	// where lines were dropped (a full or hung volume).
	EventLinesDropped = "lines_dropped"
)

// stampLayout is the ledger's time format: RFC 3339, milliseconds, UTC.
const stampLayout = "2006-01-02T15:04:05.000Z"

// Stamp formats t as a ledger time stamp; "" for the zero time.
func Stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(stampLayout)
}

// Entry is one ledger line. Seq, TS, Event and Name are on every line;
// the other fields belong to the events named in their comments and are
// left out when not known (Code is a pointer: exit 0 is a value).
type Entry struct {
	Seq   int64  `json:"seq,omitempty"` // absent only on a lines_dropped notice
	TS    string `json:"ts"`
	Event string `json:"event"`
	Name  string `json:"name"`

	// hsup_started: hsup's version, pid, argv and effective settings.
	Version  string         `json:"version,omitempty"`
	HsupPid  int            `json:"hsup_pid,omitempty"`
	Argv     []string       `json:"argv,omitempty"`
	Settings map[string]any `json:"settings,omitempty"`

	// The child's pid (child_started, healthy, degraded, bundle_written,
	// stopping, killed, exited).
	Pid int `json:"pid,omitempty"`
	// child_started: a restart (absent for hsup's first child);
	// bundle_written: a restart's bundle (absent for a warning's or an
	// operator's capture).
	Restart bool `json:"restart,omitempty"`

	// Why: degraded, bundle_written, stopping, exited, backoff,
	// crash_loop, gave_up; Sentence is the verdict's sentence.
	Reason   string `json:"reason,omitempty"`
	Sentence string `json:"sentence,omitempty"`

	// degraded: consecutive failed probes, the last probes, the time from
	// the first failure of the streak to the verdict, and the worst-case
	// detection time hsup's settings allow for the reason (hsup doctor).
	Failures       int     `json:"failures,omitempty"`
	Probes         []Probe `json:"probes,omitempty"`
	FirstFailureMS int64   `json:"first_failure_ms,omitempty"`
	BudgetMS       int64   `json:"budget_ms,omitempty"`

	// bundle_written: the bundle's directory ("" when none was written),
	// how long the capture took, whether the loop stopped waiting for it,
	// and why it failed.
	Path      string `json:"path,omitempty"`
	TookMS    int64  `json:"took_ms,omitempty"`
	Abandoned bool   `json:"abandoned,omitempty"`
	Error     string `json:"error,omitempty"`

	// stopping: the stop signal and the grace before SIGKILL, and whether
	// hsup is stopping for good; killed: the grace that ran out.
	Signal   string `json:"signal,omitempty"`
	GraceMS  int64  `json:"grace_ms,omitempty"`
	Shutdown bool   `json:"shutdown,omitempty"`

	// exited: the status (N, or 128+S with Signal set for signal S);
	// start_failed: 126, 127 or 75 (Transient); crash_loop, gave_up: the
	// last child's status; hsup_stopped: hsup's exit status.
	Code      *int `json:"code,omitempty"`
	Transient bool `json:"transient,omitempty"`

	// backoff: the wait before the next start, the attempt since the last
	// reset, and the restarts decided since hsup started; crash_loop,
	// gave_up: the restarts in the streak.
	DelayMS  *int64 `json:"delay_ms,omitempty"` // backoff only; 0: the child ran longer than the backoff (it separates starts)
	Attempt  int    `json:"attempt,omitempty"`
	Restarts int    `json:"restarts,omitempty"`

	// lines_dropped: bytes of lines the volume did not take.
	DroppedBytes int64 `json:"dropped_bytes,omitempty"`
}

// Time is the entry's time stamp; zero when it cannot be read.
func (e Entry) Time() time.Time {
	t, err := time.Parse(time.RFC3339Nano, e.TS)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Probe is one probe of a degraded line's history.
type Probe struct {
	Kind      string  `json:"kind"` // cheap, deep
	At        string  `json:"at,omitempty"`
	Result    string  `json:"result"`           // ok, timeout, refused, degraded, ...
	Status    int     `json:"status,omitempty"` // HTTP status; absent without an HTTP answer
	LatencyMS float64 `json:"latency_ms"`
	Detail    string  `json:"detail,omitempty"`
}

// Facts are what a degraded line says beyond the event: the probes behind
// the verdict (see Entry).
type Facts struct {
	Failures     int
	Probes       []Probe
	FirstFailure time.Duration // 0: not known
	Budget       time.Duration // 0: not known
}

// Of is the ledger line of a supervisor event, without Seq and Name; ok
// is false for events the ledger does not record (TreeChanged,
// CaptureStarted). stopGrace is the grace a stop allows (--stop-grace).
func Of(ev supervise.Event, stopGrace time.Duration) (e Entry, ok bool) {
	e.TS = Stamp(ev.Time())
	switch ev := ev.(type) {
	case supervise.ChildStarted:
		e.Event, e.Pid, e.Restart = EventChildStarted, ev.Pid, ev.Restart
	case supervise.ChildHealthy:
		e.Event, e.Pid = EventHealthy, ev.Pid
	case supervise.ChildDegraded:
		e.Event, e.Pid, e.Reason, e.Sentence = EventDegraded, ev.Pid, ev.Reason, ev.Detail
	case supervise.CaptureFinished:
		e.Event, e.Pid, e.Reason, e.Restart = EventBundleWritten, ev.Pid, ev.Reason, ev.Restart
		e.Path, e.TookMS, e.Abandoned, e.Error = ev.Dir, ev.Took.Milliseconds(), ev.Abandoned, errText(ev.Err)
	case supervise.ChildStopping:
		e.Event, e.Pid, e.Reason, e.Signal, e.Shutdown = EventStopping, ev.Pid, ev.Reason, signalName(ev.Signal), ev.Shutdown
		e.GraceMS = stopGrace.Milliseconds()
	case supervise.ChildKilled:
		e.Event, e.Pid, e.Signal, e.GraceMS = EventKilled, ev.Pid, "SIGKILL", ev.Grace.Milliseconds()
	case supervise.ChildExited:
		e.Event, e.Pid, e.Reason, e.Code = EventExited, ev.Pid, ev.Reason, code(ev.Code)
		if ev.Code > 128 {
			e.Signal = signalName(syscall.Signal(ev.Code - 128))
		}
	case supervise.BackingOff:
		e.Event, e.Reason, e.Sentence = EventBackoff, ev.Reason, ev.Detail
		e.DelayMS, e.Attempt, e.Restarts = new(ev.Delay.Milliseconds()), ev.Attempt, ev.Restarts
	case supervise.StartFailed:
		e.Event, e.Code, e.Transient, e.Error = EventStartFailed, code(ev.Code), ev.Transient, errText(ev.Err)
	case supervise.CrashLoop:
		e.Event, e.Reason, e.Sentence, e.Restarts, e.Code = EventCrashLoop, ev.Reason, ev.Detail, ev.Restarts, code(ev.Code)
	case supervise.GaveUp:
		e.Event, e.Reason, e.Sentence, e.Restarts, e.Code = EventGaveUp, ev.Reason, ev.Detail, ev.Restarts, code(ev.Code)
	case supervise.Exiting:
		e.Event, e.Code = EventHsupStopped, code(ev.Code)
	default:
		return Entry{}, false
	}
	return e, true
}

// WithFacts adds a degraded verdict's facts to its line.
func (e Entry) WithFacts(f Facts) Entry {
	e.Failures, e.Probes = f.Failures, f.Probes
	e.FirstFailureMS, e.BudgetMS = f.FirstFailure.Milliseconds(), f.Budget.Milliseconds()
	return e
}

func code(c int) *int { return &c }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// signalName is "SIGTERM" for SIGTERM; "" for 0 or an unknown number.
func signalName(s syscall.Signal) string {
	if s == 0 {
		return ""
	}
	return unix.SignalName(s)
}
