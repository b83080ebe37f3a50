package healthcheck

import (
	"fmt"
	"time"
)

// Kind names a probe: the frequent cheap one or the slow deep one.
type Kind string

// Probe kinds.
const (
	Cheap Kind = "cheap"
	Deep  Kind = "deep"
)

// Status is the child's health as the Policy sees it.
type Status int

// Child health states. (The Status prefix keeps them apart from the
// Result constants: Degraded is a probe result, StatusDegraded a verdict.)
const (
	StatusStarting Status = iota // no ok cheap probe yet
	StatusHealthy                // seen ok, no threshold crossed
	StatusDegraded               // a rule fired; final for this child
)

// String returns the lower-case state name used in logs and metrics.
func (s Status) String() string {
	switch s {
	case StatusStarting:
		return "starting"
	case StatusHealthy:
		return "healthy"
	case StatusDegraded:
		return "degraded"
	default:
		return fmt.Sprintf("Status(%d)", int(s))
	}
}

// Restart reasons carried by a Degraded verdict.
const (
	ReasonHealth    = "health"
	ReasonDeep      = "deep"
	ReasonHeartbeat = "heartbeat"
	ReasonBusy      = "busy"
	ReasonStartup   = "startup"
	// ReasonPortHeld: the answers came from a listener that is not the
	// child's (an orphan, another service); the start counts as failed.
	ReasonPortHeld = "port_held"
)

// Verdict is the Policy's judgement after one observation.
type Verdict struct {
	Status  Status
	Reason  string // one of the Reason constants when Degraded
	Detail  string // human-readable why, for the log
	Warning string // set on the one observation that turned the heartbeat check off
}

// HeartbeatState is the accept-counter tracking of one child.
type HeartbeatState struct {
	Enabled    bool      // configured and not turned off by a missing field
	Known      bool      // a baseline value has been seen
	Value      float64   // last value seen
	AdvancedAt time.Time // when the value last changed (or a busy answer proved the accept loop)
	ReadAt     time.Time // when the value was last read (an ok cheap answer with the field)
}

// Policy turns a stream of probe Outcomes for one child into a Verdict.
// It never reads a clock and is not safe for concurrent use: one
// goroutine owns it. Once Degraded, every call returns that verdict.
type Policy struct {
	cfg        Config
	childStart time.Time
	started    bool
	cheapFails int
	busyRun    int
	deepFails  int
	hb         HeartbeatState
	demand     Demand // the accept-queue watch's facts for the heartbeat rule (demand.go)
	final      *Verdict
}

// NewPolicy returns fresh policy state for a child started at childStart.
func NewPolicy(cfg Config, childStart time.Time) *Policy {
	return &Policy{
		cfg:        cfg,
		childStart: childStart,
		hb:         HeartbeatState{Enabled: cfg.HeartbeatField != ""},
	}
}

// Observe takes one probe outcome, received at now, and returns the verdict.
func (p *Policy) Observe(kind Kind, o Outcome, now time.Time) Verdict {
	if p.final != nil {
		return *p.final
	}
	if o.Result == HsupError { // hsup's own shortage: no evidence about the child
		return p.Tick(now)
	}
	var v Verdict
	if kind == Deep {
		v = p.observeDeep(o)
	} else {
		v = p.observeCheap(o, now)
	}
	if v.Status == StatusDegraded {
		return p.finish(v)
	}
	v2 := p.Tick(now)
	v2.Warning = v.Warning
	return v2
}

// Failures is the number of consecutive failed cheap probes.
func (p *Policy) Failures() int { return p.cheapFails }

// Tick evaluates the time-based rules (startup grace, heartbeat staleness)
// without a new outcome. Call it when Deadline passes.
func (p *Policy) Tick(now time.Time) Verdict {
	if p.final != nil {
		return *p.final
	}
	if !p.started {
		if waited := now.Sub(p.childStart); waited >= p.cfg.StartupGrace {
			return p.finish(Verdict{Status: StatusDegraded, Reason: ReasonStartup,
				Detail: fmt.Sprintf("no ok health probe within the startup grace of %s", p.cfg.StartupGrace)})
		}
		return Verdict{Status: StatusStarting}
	}
	if v, stale := p.heartbeatVerdict(now); stale {
		return p.finish(v)
	}
	return Verdict{Status: StatusHealthy}
}

// Deadline returns when Tick next needs to run if no outcome arrives
// first; false when no time-based rule is pending.
func (p *Policy) Deadline() (time.Time, bool) {
	switch {
	case p.final != nil:
		return time.Time{}, false
	case !p.started:
		return p.childStart.Add(p.cfg.StartupGrace), true
	default:
		return p.heartbeatDeadline()
	}
}

// Resume starts the counts over after hsup itself was paused for d,
// noticed at now: what hsup measured across its pause says nothing about
// the child. The heartbeat keeps its value as the baseline and counts as
// advanced at now; consecutive cheap, busy and deep failures go to zero;
// a child still in its startup grace gets the pause added to the grace.
// Whether the child has answered ok once stays as it was. A degraded
// verdict stays final.
func (p *Policy) Resume(now time.Time, d time.Duration) {
	if p.final != nil {
		return
	}
	p.cheapFails, p.busyRun, p.deepFails = 0, 0, 0
	if p.hb.Known {
		p.hb.AdvancedAt = now
	}
	if !p.started {
		p.childStart = p.childStart.Add(max(d, 0))
	}
}

// Heartbeat returns the current heartbeat tracking state.
func (p *Policy) Heartbeat() HeartbeatState { return p.hb }

func (p *Policy) finish(v Verdict) Verdict {
	p.final = &v
	return v
}

func (p *Policy) observeCheap(o Outcome, now time.Time) Verdict {
	switch {
	case o.Result == OK:
		p.started = true
		p.cheapFails, p.busyRun = 0, 0
		return Verdict{Warning: p.beat(o, now)}
	case !p.started:
		return Verdict{} // starting: failures do not count
	case o.Result == Busy:
		p.busyRun++
		if p.hb.Known {
			p.hb.AdvancedAt = now // the accept loop answered
		}
		if p.busyRun >= p.cfg.BusyFailures {
			return Verdict{Status: StatusDegraded, Reason: ReasonBusy,
				Detail: fmt.Sprintf("%d busy answers (HTTP 503 without JSON) since the last ok probe", p.busyRun)}
		}
	default:
		p.cheapFails++
		if p.cheapFails >= p.cfg.Failures {
			return Verdict{Status: StatusDegraded, Reason: ReasonHealth,
				Detail: fmt.Sprintf("%s since the last ok one, last: %s", plural(p.cheapFails, "failed health probe"), describe(o))}
		}
	}
	return Verdict{}
}

// beat tracks the accept counter on an ok cheap probe. It returns a
// warning the one time it turns the check off.
func (p *Policy) beat(o Outcome, now time.Time) string {
	if !p.hb.Enabled {
		return ""
	}
	if !o.HasHeartbeat {
		p.hb.Enabled = false
		return fmt.Sprintf("heartbeat field %q is missing or not a number in the health answer: heartbeat check off for this child (set --heartbeat-field to the accept counter's path, or \"\" to silence this)",
			p.cfg.HeartbeatField)
	}
	// Any change counts: up is progress, down is a new process (new baseline).
	if !p.hb.Known || o.Heartbeat != p.hb.Value {
		p.hb.Known, p.hb.Value, p.hb.AdvancedAt = true, o.Heartbeat, now
	}
	p.hb.ReadAt = now
	return ""
}

// observeDeep counts failed deep probes. Busy is neutral: the deep check
// never ran, and a busy app is judged by the busy threshold alone.
func (p *Policy) observeDeep(o Outcome) Verdict {
	if !p.started {
		return Verdict{}
	}
	switch {
	case o.Result == OK:
		p.deepFails = 0
	case o.Result == Busy:
	case p.cheapFails > 0 && unreachable(o.Result):
		// The cheap probe is failing too: the app is unreachable (a wedged
		// accept loop), which is the cheap probe's finding, not the deep
		// checks'. Counting it here would race and blame "deep".
	default:
		p.deepFails++
		if p.deepFails >= p.cfg.DeepFailures {
			return Verdict{Status: StatusDegraded, Reason: ReasonDeep,
				Detail: fmt.Sprintf("%d failed deep probes in a row, last: %s", p.deepFails, describe(o))}
		}
	}
	return Verdict{}
}

// unreachable is a result with no HTTP answer at all.
func unreachable(r Result) bool { return r == Timeout || r == Refused || r == Reset }

func describe(o Outcome) string {
	s := string(o.Result)
	if o.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", o.Status)
	}
	if o.Detail != "" {
		s += ": " + o.Detail
	}
	return s
}

// plural is "1 failed health probe" or "3 failed health probes".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
