package healthcheck

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// ProbeEvent describes one finished probe, for metrics.
type ProbeEvent struct {
	Kind           Kind
	Outcome        Outcome
	HeartbeatValue float64       // last accept-counter value seen
	HeartbeatAge   time.Duration // since the counter last advanced, at the time the result arrived
	HasHeartbeat   bool          // the heartbeat fields are meaningful

	// HeartbeatAdvancedAt is when the counter last advanced (or a busy
	// answer proved the accept loop), on the Monitor's clock.
	HeartbeatAdvancedAt time.Time
}

// Snapshot is the probe state of the current (or last) child, for the
// diagnostics bundle's summary.json.
type Snapshot struct {
	Cheap               *Outcome  `json:"cheap,omitempty"`
	Deep                *Outcome  `json:"deep,omitempty"`
	HeartbeatValue      float64   `json:"heartbeat_value"`
	HeartbeatAdvancedAt time.Time `json:"heartbeat_advanced_at"`
	HeartbeatEnabled    bool      `json:"heartbeat_enabled"`
}

// Monitor probes one child at a time and reports its verdict. Watch may be
// called again for the next child; Snapshot and Answering are safe to call
// concurrently with Watch.
type Monitor struct {
	cfg     Config
	log     *zap.Logger
	clock   Clock
	onProbe func(ProbeEvent)

	mu   sync.Mutex
	snap Snapshot
}

// NewMonitor returns a Monitor for cfg (which should have passed
// Validate). A nil clock means the real clock; onProbe may be nil. onProbe
// runs on Watch's goroutine for every probe and must return quickly.
func NewMonitor(cfg Config, log *zap.Logger, clock Clock, onProbe func(ProbeEvent)) *Monitor {
	if clock == nil {
		clock = RealClock{}
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Monitor{cfg: cfg, log: log.Named("health"), clock: clock, onProbe: onProbe}
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

// Watch probes one child (pid is for logs) until ctx is done or the child
// is judged degraded. It calls report(true, "") once at the first healthy
// verdict and report(false, reason) once when degraded, then returns; when
// ctx ends first it returns without a further report. The first cheap
// probe starts at once, the first deep probe after DeepInterval.
// Every goroutine Watch starts has stopped when it returns.
//
// With an empty URL (probing disabled) the child is reported healthy at
// once and Watch waits for ctx.
func (m *Monitor) Watch(ctx context.Context, pid int, report func(healthy bool, reason string)) {
	m.mu.Lock()
	m.snap = Snapshot{HeartbeatEnabled: m.cfg.URL != "" && m.cfg.HeartbeatField != ""}
	m.mu.Unlock()
	if m.cfg.URL == "" {
		report(true, "")
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
	w := &watcher{m: m, log: m.log.With(zap.Int("pid", pid)), policy: NewPolicy(m.cfg, m.clock.Now()),
		report: report, last: map[Kind]Result{}}
	v := w.run(ctx, results)
	// Stop the probes before reporting: the caller will stop the child.
	cancel()
	wg.Wait()
	if v.Status == StatusDegraded {
		report(false, v.Reason)
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
		o := Probe(ctx, url, timeout, field)
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
		delay = max(next-m.clock.Now().Sub(start), 0)
	}
}

// wait blocks for d on the injected clock; false when ctx ended first.
func (m *Monitor) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := m.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

func (m *Monitor) record(kind Kind, o Outcome, hb HeartbeatState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if kind == Deep {
		m.snap.Deep = &o
	} else {
		m.snap.Cheap = &o
	}
	m.snap.HeartbeatValue = hb.Value
	m.snap.HeartbeatAdvancedAt = hb.AdvancedAt
	m.snap.HeartbeatEnabled = hb.Enabled
}
