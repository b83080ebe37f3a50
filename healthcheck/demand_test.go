package healthcheck

import (
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap/zaptest"
)

// TestHeartbeatRuleWithDemand is the demand-aware heartbeat rule as a
// table: a counter that has not moved while nothing came in is idle, not
// stale; once connections came in and the counter, read again after
// them, still had not moved, the staleness clock runs from its last
// advance, as without demand facts.
func TestHeartbeatRuleWithDemand(t *testing.T) {
	t0 := time.Date(2025, 11, 29, 12, 0, 0, 0, time.UTC)
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	const stale = 30 * time.Second
	cases := []struct {
		name         string
		demand       Demand
		readAt       float64 // seconds: when the counter was last read
		now          float64 // seconds after the counter's last advance (t0)
		wantStale    bool
		wantDeadline float64 // seconds; -1: no heartbeat deadline
	}{
		{name: "unknown demand: the rule as before, not yet", now: 29, wantDeadline: 30},
		{name: "unknown demand: the rule as before, stale", now: 30, wantStale: true, wantDeadline: 30},
		{name: "idle: nothing came in, long past the limit",
			demand: Demand{Known: true, Since: t0}, readAt: 595, now: 600, wantDeadline: -1},
		{name: "connections came in late, the counter read since: stale from its advance",
			demand: Demand{Known: true, Since: t0, Seen: true, First: sec(100)}, readAt: 100.2, now: 100.2, wantStale: true, wantDeadline: 30},
		{name: "connections came in late, the counter not read since: not yet",
			demand: Demand{Known: true, Since: t0, Seen: true, First: sec(100)}, readAt: 99, now: 100.2, wantDeadline: -1},
		{name: "a probe came in and read the counter: as without demand facts, not yet",
			demand: Demand{Known: true, Since: t0, Seen: true, First: sec(5)}, readAt: 5.01, now: 29.9, wantDeadline: 30},
		{name: "a probe came in and read the counter: as without demand facts, stale",
			demand: Demand{Known: true, Since: t0, Seen: true, First: sec(5)}, readAt: 30, now: 30, wantStale: true, wantDeadline: 30},
		{name: "a stretch going on at the advance",
			demand: Demand{Known: true, Since: t0, Seen: true, First: t0}, readAt: 25, now: 30, wantStale: true, wantDeadline: 30},
		{name: "facts about an earlier advance: idle until asked again",
			demand: Demand{Known: true, Since: sec(-60), Seen: true, First: sec(-59)}, readAt: 50, now: 60, wantDeadline: -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.HeartbeatStale = stale
			p := NewPolicy(cfg, t0.Add(-time.Minute))
			p.started = true
			p.hb = HeartbeatState{Enabled: true, Known: true, Value: 7, AdvancedAt: t0, ReadAt: sec(c.readAt)}
			p.SetDemand(c.demand)
			at, ok := p.Deadline()
			switch {
			case c.wantDeadline < 0 && ok:
				t.Errorf("deadline %v, want none", at.Sub(t0))
			case c.wantDeadline >= 0 && (!ok || !at.Equal(sec(c.wantDeadline))):
				t.Errorf("deadline %v (%v), want %vs", at.Sub(t0), ok, c.wantDeadline)
			}
			v := p.Tick(sec(c.now))
			if got := v.Status == StatusDegraded; got != c.wantStale {
				t.Fatalf("Tick at %vs: %+v, want stale %v", c.now, v, c.wantStale)
			}
			if c.wantStale && v.Reason != ReasonHeartbeat {
				t.Errorf("reason %q, want heartbeat", v.Reason)
			}
		})
	}
}

// demandAt is a DemandFunc on virtual time: nothing comes in before from
// (zero: never), then connections keep coming.
func demandAt(from time.Time) DemandFunc {
	return func(_ int, since time.Time) Demand {
		now := time.Now()
		if from.IsZero() || now.Before(from) {
			return Demand{Known: true, Since: since}
		}
		first := from
		if since.After(first) {
			first = since
		}
		return Demand{Known: true, Since: since, Seen: true, First: first}
	}
}

// startWatchDemand is startWatch with a Monitor that has a DemandFunc.
func startWatchDemand(t *testing.T, app *fakeApp, cfg Config, d DemandFunc) *watchRun {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	w := &watchRun{reports: make(chan reportCall, 10), facts: make(chan Report, 1000), events: make(chan ProbeEvent, 1000)}
	w.mon = newMonitor(cfg, zaptest.NewLogger(t), app.probe, nil)
	w.mon.Demand = d
	w.start(t)
	return w
}

// demandConfig probes every 200 ms with a 1 s staleness limit; the
// heartbeat is stuck (appFrozen), as for an app that answers /health from
// another port while its accept loop is idle or wedged.
func demandConfig(app *fakeApp) Config {
	cfg := app.config()
	cfg.Interval, cfg.Timeout, cfg.HeartbeatStale = 200*time.Millisecond, 300*time.Millisecond, time.Second
	return cfg
}

func TestWatchIdleCounterIsNotStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appFrozen)
		w := startWatchDemand(t, app, demandConfig(app), demandAt(time.Time{}))
		w.wantReport(t, reportCall{healthy: true})
		time.Sleep(20 * time.Second) // virtual: twenty staleness limits with nothing coming in
		if len(w.reports) != 0 {
			t.Fatalf("report while idle: %+v", <-w.reports)
		}
	})
}

func TestWatchDemandStartsTheStaleClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appFrozen)
		cfg := demandConfig(app)
		from := time.Now().Add(5 * time.Second)
		w := startWatchDemand(t, app, cfg, demandAt(from))
		w.wantReport(t, reportCall{healthy: true})
		w.wantReport(t, reportCall{healthy: false, reason: ReasonHeartbeat})
		// The counter stood still from the first probe on, so once the
		// demand is seen and a probe reads the counter after it (within a
		// probe interval), the verdict is due at once: the watcher turns
		// at least every second.
		if at := time.Now(); at.Before(from) || at.After(from.Add(cfg.Interval+time.Second)) {
			t.Errorf("heartbeat verdict %v after demand began, want within %v", at.Sub(from), cfg.Interval+time.Second)
		}
		w.wantReturn(t)
	})
}
