package healthcheck

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hsup/hsup/tick"
)

// ProbeEvent describes one finished probe, for metrics.
type ProbeEvent struct {
	Kind    Kind
	Outcome Outcome
}

// Snapshot is the probe state of the current (or last) child, for the
// diagnostics bundle's summary.json.
type Snapshot struct {
	Cheap               *Outcome  `json:"cheap,omitempty"`
	Deep                *Outcome  `json:"deep,omitempty"`
	HeartbeatValue      float64   `json:"heartbeat_value"`
	HeartbeatAdvancedAt time.Time `json:"heartbeat_advanced_at,omitzero"` // absent until it first advanced
	HeartbeatEnabled    bool      `json:"heartbeat_enabled"`
}

// Monitor probes one child at a time and reports its verdict. Watch may be
// called again for the next child; Snapshot and Answering are safe to call
// concurrently with Watch.
type Monitor struct {
	cfg     Config
	log     *zap.Logger
	probe   prober
	onProbe func(ProbeEvent)
	// clock is the time source of Watch and its probe loops, set before
	// the first Watch and never after.
	clock clock

	// Owner, when set (before Watch), is asked once per child, at its first
	// ok probe, whether the listener that answered is the child's (pid or a
	// descendant); holder names the process that holds the port otherwise.
	// An error means "cannot tell": the child is given the benefit of it.
	Owner func(ctx context.Context, pid int) (owned bool, holder string, err error)
	// Demand, when set (before Watch), tells the heartbeat rule whether
	// connections came in since the counter last moved (demand.go); nil
	// leaves the rule without it.
	Demand DemandFunc

	mu         sync.Mutex
	snap       Snapshot         // Cheap and Deep without their Reply
	last       map[Kind]Outcome // the last probe of each kind, with its Reply
	hist       history
	lastHolder string // the holder last logged as an error, so a crash loop logs it once
}

// prober performs one probe. It is Probe, except in the Monitor's tests:
// they run on virtual time (testing/synctest), where a real socket would
// keep the clock from advancing.
type prober func(ctx context.Context, url string, timeout time.Duration, heartbeatField string) Outcome

// NewMonitor returns a Monitor for cfg (which should have passed
// Validate). onProbe may be nil; it runs on Watch's goroutine for every
// probe and must return quickly.
func NewMonitor(cfg Config, log *zap.Logger, onProbe func(ProbeEvent)) *Monitor {
	return newMonitor(cfg, log, Probe, onProbe)
}

func newMonitor(cfg Config, log *zap.Logger, probe prober, onProbe func(ProbeEvent)) *Monitor {
	if log == nil {
		log = zap.NewNop()
	}
	return &Monitor{cfg: cfg, log: log.Named("health"), probe: probe, onProbe: onProbe, clock: systemClock{}}
}

// Snapshot returns the last cheap and deep outcomes and the heartbeat state
// of the current or last child. The returned value shares nothing with m.
func (m *Monitor) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.snap
	if s.Cheap != nil {
		c := *s.Cheap
		s.Cheap = &c
	}
	if s.Deep != nil {
		d := *s.Deep
		s.Deep = &d
	}
	return s
}

// Evidence returns the last probe of each kind of the current or last
// child, with what came back, and its recent probes. Replies are shared
// (they are never changed); the maps and the history are copies.
func (m *Monitor) Evidence() Evidence {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := Evidence{URL: map[Kind]string{Cheap: m.cfg.URL}, Last: make(map[Kind]Outcome, len(m.last)), History: m.hist.list()}
	if m.cfg.DeepURL != "" {
		e.URL[Deep] = m.cfg.DeepURL
	}
	for k, o := range m.last {
		e.Last[k] = o
	}
	return e
}

// Report is one message of Watch to its caller.
type Report struct {
	// Verdict is StatusHealthy in the one report of the first healthy
	// verdict, StatusDegraded in the last report, and StatusStarting in the
	// reports that only carry the facts below (one per probe).
	Verdict Status
	Reason  string // with StatusDegraded: one of the Reason constants
	Detail  string // with StatusDegraded: the verdict's sentence

	Failures  int // consecutive failed cheap probes
	Heartbeat HeartbeatState
}

// Watch probes one child (pid is for logs) until ctx is done or the child
// is judged degraded. After every probe it reports the facts; it reports
// the first healthy verdict once, and a degraded verdict once, then
// returns; when ctx ends first it returns without a further report.
// report blocks until its reader takes the report or ctx is done. The
// first cheap probe starts at once, the first deep probe after
// DeepInterval. Every goroutine Watch starts has stopped when it returns.
//
// When hsup itself was paused (stopped, frozen or asleep: a turn of the
// watcher comes far later than its timer was due), the counts start over
// (Policy.Resume) with one warning, and a failed probe that was in flight
// across the pause is not counted.
//
// With an empty URL (probing disabled) the child is reported healthy at
// once and Watch waits for ctx.
func (m *Monitor) Watch(ctx context.Context, pid int, report func(Report)) {
	m.mu.Lock()
	m.snap = Snapshot{HeartbeatEnabled: m.cfg.URL != "" && m.cfg.HeartbeatField != ""}
	m.last, m.hist = map[Kind]Outcome{}, history{}
	m.mu.Unlock()
	if m.cfg.URL == "" {
		report(Report{Verdict: StatusHealthy})
		<-ctx.Done()
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan probeResult)
	var wg sync.WaitGroup
	wg.Go(func() {
		m.probeLoop(ctx, Cheap, m.cfg.URL, 0, m.cfg.Interval, m.cfg.Timeout, m.cfg.HeartbeatField, results)
	})
	if m.cfg.DeepURL != "" {
		wg.Go(func() {
			m.probeLoop(ctx, Deep, m.cfg.DeepURL, m.cfg.DeepInterval, m.cfg.DeepInterval, m.cfg.DeepTimeout, "", results)
		})
	}
	w := &watcher{m: m, pid: pid, log: m.log.With(zap.Int("pid", pid)), policy: NewPolicy(m.cfg, m.clock.Now()),
		send: report, last: map[Kind]Result{}}
	v := w.run(ctx, results)
	// Stop the probes before reporting: the caller will stop the child.
	cancel()
	wg.Wait()
	if v.Status == StatusDegraded {
		report(w.report(v))
	}
}

type probeResult struct {
	kind    Kind
	outcome Outcome
}

// StartupProbeInterval paces cheap probes until the first ok one (when
// shorter than the interval): a started child is marked running, and
// systemd told READY, as soon as it serves, not up to an interval later.
// Failures do not count before the first ok, so no budget changes.
const StartupProbeInterval = 500 * time.Millisecond

// probeLoop runs one kind of probe, one at a time, first after delay and
// then every interval (start to start; a slow probe delays only its own
// kind). It stops when ctx is done.
func (m *Monitor) probeLoop(ctx context.Context, kind Kind, url string, delay, interval, timeout time.Duration,
	field string, out chan<- probeResult) {
	starting := kind == Cheap
	for {
		if !m.wait(ctx, delay) {
			return
		}
		start := m.clock.Now()
		o := m.probe(ctx, url, timeout, field)
		o.At = start
		if ctx.Err() != nil {
			return // aborted by shutdown: not a result about the child
		}
		select {
		case out <- probeResult{kind: kind, outcome: o}:
		case <-ctx.Done():
			return
		}
		starting = starting && o.Result != OK
		next := interval
		if starting {
			next = min(interval, StartupProbeInterval)
		}
		at := start.Add(next)
		if next >= 2*time.Second { // on the second, with hsup's other loops, never later; shorter intervals are kept exact
			at = tick.Floor(at, time.Second)
		}
		delay = max(at.Sub(m.clock.Now()), 0)
	}
}

// wait blocks for d; false when ctx ended first.
func (m *Monitor) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	c, stop := m.clock.NewTimer(d)
	defer stop()
	select {
	case <-ctx.Done():
		return false
	case <-c:
		return true
	}
}

// clock is the time source of Watch and its probe loops: the system
// clock, except in the tests that pause hsup, where it jumps ahead and
// fires every overdue timer at once, as a SIGCONT does.
type clock interface {
	// Now is time.Now.
	Now() time.Time
	// NewTimer is time.NewTimer, as its channel and its Stop method.
	NewTimer(d time.Duration) (<-chan time.Time, func() bool)
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

func (m *Monitor) record(kind Kind, o Outcome, hb HeartbeatState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		m.last = map[Kind]Outcome{}
	}
	m.last[kind] = o
	m.hist.add(Record{Kind: kind, At: o.At, Result: o.Result, Status: o.Status, Duration: o.Duration})
	o.Reply = nil // the snapshot stays small; Evidence has it
	if kind == Deep {
		m.snap.Deep = &o
	} else {
		m.snap.Cheap = &o
	}
	m.snap.HeartbeatValue = hb.Value
	m.snap.HeartbeatAdvancedAt = hb.AdvancedAt
	m.snap.HeartbeatEnabled = hb.Enabled
}

// newHolder reports whether holder differs from the one last logged, and
// remembers it.
func (m *Monitor) newHolder(holder string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if holder == m.lastHolder {
		return false
	}
	m.lastHolder = holder
	return true
}
