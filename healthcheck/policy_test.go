package healthcheck

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// step is one input to the policy, at an offset from the child's start.
// An empty res means a Tick (deadline timer) instead of an outcome, or,
// with paused set, a Resume after hsup's own pause, then a Tick.
type step struct {
	at     time.Duration
	kind   Kind
	res    Result
	hb     float64
	noHB   bool
	paused time.Duration
}

func okAt(at time.Duration, hb float64) step { return step{at: at, kind: Cheap, res: OK, hb: hb} }
func okNoHB(at time.Duration) step           { return step{at: at, kind: Cheap, res: OK, noHB: true} }
func cheap(at time.Duration, r Result) step  { return step{at: at, kind: Cheap, res: r} }
func deep(at time.Duration, r Result) step   { return step{at: at, kind: Deep, res: r} }
func clockTick(at time.Duration) step        { return step{at: at} }

// resumed is hsup noticing at at that it was paused for d.
func resumed(at, d time.Duration) step { return step{at: at, paused: d} }

func policyConfig() Config {
	c := DefaultConfig()
	c.Failures, c.BusyFailures, c.DeepFailures = 3, 4, 2
	return c
}

func noHeartbeat(c *Config) { c.HeartbeatField = "" }

func TestPolicy(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name         string
		edit         func(*Config)
		steps        []step
		wantStatus   Status
		wantReason   string
		wantAt       int // index of the first degraded verdict; -1 none
		wantWarnings int
	}{
		// startup grace
		{name: "failures before the first ok do not count",
			steps:      []step{cheap(1*s, Refused), cheap(6*s, Timeout), cheap(11*s, Error), cheap(16*s, Degraded), cheap(21*s, Busy)},
			wantStatus: StatusStarting, wantAt: -1},
		{name: "first ok is healthy", steps: []step{cheap(1*s, Refused), okAt(2*s, 1)}, wantStatus: StatusHealthy, wantAt: -1},
		{name: "grace exceeded on the timer", steps: []step{cheap(10*s, Refused), clockTick(60 * s)},
			wantStatus: StatusDegraded, wantReason: ReasonStartup, wantAt: 1},
		{name: "grace exceeded on a probe result", steps: []step{cheap(61*s, Timeout)},
			wantStatus: StatusDegraded, wantReason: ReasonStartup, wantAt: 0},
		{name: "just inside grace", steps: []step{clockTick(60*s - time.Millisecond)}, wantStatus: StatusStarting, wantAt: -1},
		{name: "busy during startup only waits for grace", steps: []step{cheap(5*s, Busy), cheap(10*s, Busy), cheap(15*s, Busy),
			cheap(20*s, Busy), cheap(25*s, Busy), clockTick(60 * s)}, wantStatus: StatusDegraded, wantReason: ReasonStartup, wantAt: 5},
		{name: "deep failures before the first ok do not count", edit: noHeartbeat,
			steps: []step{deep(1*s, Timeout), deep(2*s, Timeout), okAt(3*s, 0)}, wantStatus: StatusHealthy, wantAt: -1},

		// cheap failures
		{name: "failure threshold", edit: noHeartbeat,
			steps:      []step{okAt(0, 0), cheap(5*s, Timeout), cheap(10*s, Reset), cheap(15*s, Degraded)},
			wantStatus: StatusDegraded, wantReason: ReasonHealth, wantAt: 3},
		{name: "ok resets failures", edit: noHeartbeat,
			steps:      []step{okAt(0, 0), cheap(5*s, Error), cheap(10*s, Error), okAt(15*s, 0), cheap(20*s, Refused), cheap(25*s, Refused)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "busy neither counts as nor resets a failure", edit: noHeartbeat,
			steps: []step{okAt(0, 0), cheap(5*s, Timeout), cheap(10*s, Busy), cheap(15*s, Timeout), cheap(20*s, Busy),
				cheap(25*s, Timeout)},
			wantStatus: StatusDegraded, wantReason: ReasonHealth, wantAt: 5},
		{name: "deep results do not touch cheap failures", edit: noHeartbeat,
			steps:      []step{okAt(0, 0), cheap(5*s, Error), cheap(10*s, Error), deep(11*s, OK), cheap(15*s, Error)},
			wantStatus: StatusDegraded, wantReason: ReasonHealth, wantAt: 4},
		{name: "degraded is final", edit: noHeartbeat,
			steps:      []step{okAt(0, 0), cheap(5*s, Error), cheap(10*s, Error), cheap(15*s, Error), okAt(20*s, 0), clockTick(99 * s)},
			wantStatus: StatusDegraded, wantReason: ReasonHealth, wantAt: 3},

		// busy
		{name: "busy threshold", edit: noHeartbeat,
			steps:      []step{okAt(0, 0), cheap(5*s, Busy), cheap(10*s, Busy), cheap(15*s, Busy), cheap(20*s, Busy)},
			wantStatus: StatusDegraded, wantReason: ReasonBusy, wantAt: 4},
		{name: "ok resets busy", edit: noHeartbeat,
			steps: []step{okAt(0, 0), cheap(5*s, Busy), cheap(10*s, Busy), cheap(15*s, Busy), okAt(20*s, 0),
				cheap(25*s, Busy), cheap(30*s, Busy), cheap(35*s, Busy)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "a failure does not reset busy", edit: noHeartbeat,
			steps: []step{okAt(0, 0), cheap(5*s, Busy), cheap(10*s, Busy), cheap(15*s, Timeout), cheap(20*s, Busy),
				cheap(25*s, Busy)},
			wantStatus: StatusDegraded, wantReason: ReasonBusy, wantAt: 5},

		// heartbeat
		{name: "advancing counter stays healthy",
			steps:      []step{okAt(0, 1), okAt(20*s, 2), okAt(40*s, 3), okAt(60*s, 4), okAt(80*s, 5), clockTick(109 * s)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "frozen counter while answering ok",
			steps:      []step{okAt(0, 5), okAt(10*s, 5), okAt(20*s, 5), okAt(29*s, 5), okAt(30*s, 5)},
			wantStatus: StatusDegraded, wantReason: ReasonHeartbeat, wantAt: 4},
		{name: "frozen counter caught by the timer", steps: []step{okAt(0, 5), clockTick(30 * s)},
			wantStatus: StatusDegraded, wantReason: ReasonHeartbeat, wantAt: 1},
		{name: "staleness clock starts at the first ok",
			steps:      []step{cheap(0, Refused), okAt(50*s, 7), okAt(75*s, 7), clockTick(79 * s), okAt(80*s, 7)},
			wantStatus: StatusDegraded, wantReason: ReasonHeartbeat, wantAt: 4},
		{name: "busy resets the staleness clock",
			steps:      []step{okAt(0, 1), cheap(10*s, Busy), cheap(20*s, Busy), cheap(30*s, Busy), clockTick(59 * s)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "stale again after the last busy",
			steps:      []step{okAt(0, 1), cheap(10*s, Busy), cheap(20*s, Busy), cheap(30*s, Busy), clockTick(60 * s)},
			wantStatus: StatusDegraded, wantReason: ReasonHeartbeat, wantAt: 4},
		{name: "failures do not reset the staleness clock",
			steps:      []step{okAt(0, 1), cheap(10*s, Timeout), cheap(20*s, Timeout), clockTick(30 * s)},
			wantStatus: StatusDegraded, wantReason: ReasonHeartbeat, wantAt: 3},
		{name: "counter going down is a new baseline",
			steps:      []step{okAt(0, 100), okAt(25*s, 100), okAt(29*s, 3), okAt(50*s, 3), clockTick(58 * s)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "new baseline goes stale too",
			steps:      []step{okAt(0, 100), okAt(29*s, 3), okAt(50*s, 3), okAt(59*s, 3)},
			wantStatus: StatusDegraded, wantReason: ReasonHeartbeat, wantAt: 3},
		{name: "missing field warns once and turns the check off",
			steps:      []step{okNoHB(0), okNoHB(5 * s), okAt(10*s, 1), okAt(100*s, 1), okNoHB(200 * s), clockTick(300 * s)},
			wantStatus: StatusHealthy, wantAt: -1, wantWarnings: 1},
		{name: "field vanishing later turns the check off",
			steps:      []step{okAt(0, 1), okNoHB(5 * s), okNoHB(10 * s), clockTick(100 * s)},
			wantStatus: StatusHealthy, wantAt: -1, wantWarnings: 1},
		{name: "heartbeat disabled by config", edit: noHeartbeat,
			steps:      []step{okAt(0, 1), okAt(100*s, 1), okNoHB(200 * s)},
			wantStatus: StatusHealthy, wantAt: -1},

		// deep
		{name: "deep threshold", edit: noHeartbeat,
			steps:      []step{okAt(0, 0), deep(1*s, Degraded), okAt(5*s, 0), deep(61*s, Timeout)},
			wantStatus: StatusDegraded, wantReason: ReasonDeep, wantAt: 3},
		{name: "deep ok resets", edit: noHeartbeat,
			steps:      []step{okAt(0, 0), deep(1*s, Degraded), deep(61*s, OK), deep(121*s, Error)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "deep busy is neutral", edit: noHeartbeat,
			steps:      []step{okAt(0, 0), deep(1*s, Error), deep(61*s, Busy), deep(121*s, Refused)},
			wantStatus: StatusDegraded, wantReason: ReasonDeep, wantAt: 3},
		{name: "unreachable deep while cheap fails is the cheap probe's finding", edit: noHeartbeat,
			steps: []step{okAt(0, 0), cheap(5*s, Timeout), deep(6*s, Timeout), deep(7*s, Refused),
				cheap(10*s, Reset), cheap(15*s, Timeout)},
			wantStatus: StatusDegraded, wantReason: ReasonHealth, wantAt: 5},
		{name: "deep answering 503 while cheap fails still counts", edit: noHeartbeat,
			steps:      []step{okAt(0, 0), cheap(5*s, Timeout), deep(6*s, Degraded), deep(7*s, Degraded)},
			wantStatus: StatusDegraded, wantReason: ReasonDeep, wantAt: 3},
		{name: "deep failures do not need cheap failures", edit: func(c *Config) { noHeartbeat(c); c.DeepFailures = 1 },
			steps:      []step{okAt(0, 0), deep(1*s, Reset)},
			wantStatus: StatusDegraded, wantReason: ReasonDeep, wantAt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := policyConfig()
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			p := NewPolicy(cfg, start)
			var v Verdict
			gotAt, warnings := -1, 0
			for i, st := range tt.steps {
				v = apply(p, st, start)
				if v.Warning != "" {
					warnings++
				}
				if v.Status == StatusDegraded && gotAt < 0 {
					gotAt = i
				}
			}
			if v.Status != tt.wantStatus || v.Reason != tt.wantReason {
				t.Errorf("final verdict = %v %q (%s), want %v %q", v.Status, v.Reason, v.Detail, tt.wantStatus, tt.wantReason)
			}
			if gotAt != tt.wantAt {
				t.Errorf("first degraded at step %d, want %d", gotAt, tt.wantAt)
			}
			if warnings != tt.wantWarnings {
				t.Errorf("got %d warnings, want %d", warnings, tt.wantWarnings)
			}
		})
	}
}

func apply(p *Policy, st step, start time.Time) Verdict {
	now := start.Add(st.at)
	if st.paused != 0 {
		p.Resume(now, st.paused)
	}
	if st.res == "" {
		return p.Tick(now)
	}
	o := Outcome{Result: st.res, At: now, Heartbeat: st.hb, HasHeartbeat: !st.noHB && st.res == OK}
	return p.Observe(st.kind, o, now)
}

// TestPolicyResume: after hsup's own pause the counts start over, so what
// hsup measured across the pause is not held against the child.
func TestPolicyResume(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name       string
		edit       func(*Config)
		steps      []step
		wantStatus Status
		wantReason string
		wantAt     int // index of the first degraded verdict; -1 none
	}{
		// The case: the counter "stayed at 2" across a 31 s SIGSTOP.
		{name: "heartbeat baseline restarts at the resume",
			steps:      []step{okAt(0, 1), okAt(5*s, 2), resumed(37*s, 31*s), okAt(38*s, 3)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "without the resume the same steps blame the child",
			steps:      []step{okAt(0, 1), okAt(5*s, 2), clockTick(37 * s)},
			wantStatus: StatusDegraded, wantReason: ReasonHeartbeat, wantAt: 2},
		{name: "the value is kept: a frozen counter goes stale a full limit after the resume",
			steps:      []step{okAt(0, 2), resumed(40*s, 31*s), okAt(45*s, 2), clockTick(69 * s), okAt(70*s, 2)},
			wantStatus: StatusDegraded, wantReason: ReasonHeartbeat, wantAt: 4},
		{name: "cheap failures start over", edit: noHeartbeat,
			steps: []step{okAt(0, 0), cheap(5*s, Timeout), cheap(10*s, Timeout), resumed(45*s, 31*s),
				cheap(46*s, Timeout), cheap(51*s, Timeout)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "and count again after it", edit: noHeartbeat,
			steps: []step{okAt(0, 0), cheap(5*s, Timeout), cheap(10*s, Timeout), resumed(45*s, 31*s),
				cheap(46*s, Timeout), cheap(51*s, Timeout), cheap(56*s, Timeout)},
			wantStatus: StatusDegraded, wantReason: ReasonHealth, wantAt: 6},
		{name: "busy run starts over", edit: noHeartbeat,
			steps: []step{okAt(0, 0), cheap(5*s, Busy), cheap(10*s, Busy), cheap(15*s, Busy), resumed(50*s, 31*s),
				cheap(51*s, Busy), cheap(56*s, Busy), cheap(61*s, Busy)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "deep failures start over", edit: noHeartbeat,
			steps:      []step{okAt(0, 0), deep(60*s, Timeout), resumed(150*s, 31*s), deep(151*s, Timeout)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "startup grace is extended by the pause",
			steps:      []step{cheap(10*s, Refused), resumed(70*s, 31*s), clockTick(90 * s), okAt(90*s, 1)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "the extended grace still ends",
			steps:      []step{cheap(10*s, Refused), resumed(70*s, 31*s), clockTick(91 * s)},
			wantStatus: StatusDegraded, wantReason: ReasonStartup, wantAt: 2},
		{name: "a started child's grace is not reopened",
			steps:      []step{okAt(1*s, 1), resumed(40*s, 31*s), okAt(41*s, 2)},
			wantStatus: StatusHealthy, wantAt: -1},
		{name: "degraded stays final", edit: noHeartbeat,
			steps: []step{okAt(0, 0), cheap(5*s, Error), cheap(10*s, Error), cheap(15*s, Error),
				resumed(50*s, 31*s), okAt(51*s, 0)},
			wantStatus: StatusDegraded, wantReason: ReasonHealth, wantAt: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := policyConfig()
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			p := NewPolicy(cfg, start)
			var v Verdict
			gotAt := -1
			for i, st := range tt.steps {
				v = apply(p, st, start)
				if v.Status == StatusDegraded && gotAt < 0 {
					gotAt = i
				}
			}
			if v.Status != tt.wantStatus || v.Reason != tt.wantReason {
				t.Errorf("final verdict = %v %q (%s), want %v %q", v.Status, v.Reason, v.Detail, tt.wantStatus, tt.wantReason)
			}
			if gotAt != tt.wantAt {
				t.Errorf("first degraded at step %d, want %d", gotAt, tt.wantAt)
			}
		})
	}
}

// TestPolicyResumeState: the facts after a resume, as Heartbeat, Failures
// and Deadline report them.
func TestPolicyResumeState(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := policyConfig()
	p := NewPolicy(cfg, start)
	apply(p, okAt(time.Second, 2), start)
	apply(p, cheap(6*time.Second, Timeout), start)
	wake := start.Add(40 * time.Second)
	p.Resume(wake, 31*time.Second)
	hb := p.Heartbeat()
	if !hb.Known || hb.Value != 2 || !hb.AdvancedAt.Equal(wake) {
		t.Errorf("Heartbeat() = %+v, want value 2 kept, advanced at the resume", hb)
	}
	if n := p.Failures(); n != 0 {
		t.Errorf("Failures() = %d after a resume, want 0", n)
	}
	if at, ok := p.Deadline(); !ok || !at.Equal(wake.Add(cfg.HeartbeatStale)) {
		t.Errorf("Deadline() = %v, %v; want the resume + the staleness limit", at, ok)
	}

	q := NewPolicy(cfg, start)
	q.Resume(start.Add(10*time.Second), 31*time.Second)
	if at, ok := q.Deadline(); !ok || !at.Equal(start.Add(cfg.StartupGrace+31*time.Second)) {
		t.Errorf("Deadline() while starting = %v, %v; want the grace extended by the pause", at.Sub(start), ok)
	}
}

func TestPolicyDeadline(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := policyConfig()
	tests := []struct {
		name   string
		cfg    Config
		steps  []step
		want   time.Duration // offset from start
		wantOK bool
	}{
		{name: "starting: end of grace", cfg: cfg, want: cfg.StartupGrace, wantOK: true},
		{name: "healthy: staleness", cfg: cfg, steps: []step{okAt(7*time.Second, 1)},
			want: 7*time.Second + cfg.HeartbeatStale, wantOK: true},
		{name: "healthy without heartbeat: none", cfg: func() Config { c := cfg; noHeartbeat(&c); return c }(),
			steps: []step{okAt(7*time.Second, 1)}},
		{name: "heartbeat turned off: none", cfg: cfg, steps: []step{okNoHB(7 * time.Second)}},
		{name: "degraded: none", cfg: cfg, steps: []step{clockTick(time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPolicy(tt.cfg, start)
			for _, st := range tt.steps {
				apply(p, st, start)
			}
			got, ok := p.Deadline()
			if ok != tt.wantOK || (ok && got.Sub(start) != tt.want) {
				t.Errorf("Deadline() = %v, %v; want start+%v, %v", got.Sub(start), ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPolicyDetails(t *testing.T) {
	start := time.Unix(1000, 0)
	p := NewPolicy(policyConfig(), start)
	v := p.Observe(Cheap, Outcome{Result: OK}, start)
	if !strings.Contains(v.Warning, "accept_loop.requests_total") || !strings.Contains(v.Warning, "--heartbeat-field") {
		t.Errorf("warning %q should name the field and the flag", v.Warning)
	}
	if hb := p.Heartbeat(); hb.Enabled {
		t.Errorf("Heartbeat() = %+v, want disabled", hb)
	}
	for i := range 3 {
		v = p.Observe(Cheap, Outcome{Result: Degraded, Status: 503, Detail: "degraded: OperationalError"},
			start.Add(time.Duration(i+1)*time.Second))
	}
	if v.Reason != ReasonHealth || !strings.Contains(v.Detail, "HTTP 503") || !strings.Contains(v.Detail, "OperationalError") {
		t.Errorf("verdict = %+v, want reason health with the last status and detail", v)
	}
}

func TestStatusString(t *testing.T) {
	tests := []struct {
		s    Status
		want string
	}{
		{s: StatusStarting, want: "starting"},
		{s: StatusHealthy, want: "healthy"},
		{s: StatusDegraded, want: "degraded"},
		{s: Status(9), want: "Status(9)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPolicyNeverCountsHsupErrors: a probe hsup could not make for want of
// its own descriptors or memory is no evidence about the child.
func TestPolicyNeverCountsHsupErrors(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HeartbeatField = ""
	start := time.Unix(1_800_000_000, 0)
	p := NewPolicy(cfg, start)
	now := start.Add(time.Second)
	if v := p.Observe(Cheap, Outcome{Result: OK}, now); v.Status != StatusHealthy {
		t.Fatalf("first ok: %v", v.Status)
	}
	for i := range 10 * cfg.Failures {
		now = now.Add(cfg.Interval)
		if v := p.Observe(Cheap, Outcome{Result: HsupError, Detail: "dial tcp: socket: too many open files"}, now); v.Status != StatusHealthy {
			t.Fatalf("after %d probes hsup could not make: %v %s, want still healthy", i+1, v.Status, v.Reason)
		}
	}
	if p.Failures() != 0 {
		t.Fatalf("Failures() = %d, want 0", p.Failures())
	}
}

func TestClassifyErrHsupShortage(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		err := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", errno)}
		if r, _ := classifyErr(err); r != HsupError {
			t.Errorf("classifyErr(%v) = %s, want %s", err, r, HsupError)
		}
	}
}
