package healthcheck

import (
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap/zaptest"
)

// TestHeartbeatRuleWithDemand is the demand-aware heartbeat rule as a
// table: a counter that has not moved while nothing came in is idle, not
// stale; once connections come in, the staleness clock runs from then.
func TestHeartbeatRuleWithDemand(t *testing.T) {
	t0 := time.Date(2025, 11, 29, 12, 0, 0, 0, time.UTC)
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	const stale = 30 * time.Second
	cases := []struct {
		name         string
		demand       Demand
		now          float64 // seconds after the counter's last advance (t0)
		wantStale    bool
		wantDeadline float64 // seconds; -1: no heartbeat deadline
	}{
		{name: "unknown demand: the rule as before, not yet", now: 29, wantDeadline: 30},
		{name: "unknown demand: the rule as before, stale", now: 30, wantStale: true, wantDeadline: 30},
		{name: "idle: nothing came in, long past the limit",
			demand: Demand{Known: true, Since: t0}, now: 600, wantDeadline: -1},
		{name: "connections came in late: the clock runs from then",
			demand: Demand{Known: true, Since: t0, Seen: true, First: sec(100)}, now: 129, wantDeadline: 130},
		{name: "connections came in late and the counter still did not move",
			demand: Demand{Known: true, Since: t0, Seen: true, First: sec(100)}, now: 130, wantStale: true, wantDeadline: 130},
		{name: "connections came in at once (a probe): as without demand facts",
			demand: Demand{Known: true, Since: t0, Seen: true, First: sec(0.01)}, now: 30.01, wantStale: true, wantDeadline: 30.01},
		{name: "a stretch going on at the advance counts from the advance",
			demand: Demand{Known: true, Since: t0, Seen: true, First: sec(-5)}, now: 30, wantStale: true, wantDeadline: 30},
		{name: "facts about an earlier advance: idle until asked again",
			demand: Demand{Known: true, Since: sec(-60), Seen: true, First: sec(-59)}, now: 60, wantDeadline: -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.HeartbeatStale = stale
			p := NewPolicy(cfg, t0.Add(-time.Minute))
			p.started = true
			p.hb = HeartbeatState{Enabled: true, Known: true, Value: 7, AdvancedAt: t0}
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
		// The watcher turns at least every second, so it learns of the
		// demand within one; the verdict comes the staleness limit later.
		if at := time.Now(); at.Before(from.Add(cfg.HeartbeatStale)) || at.After(from.Add(cfg.HeartbeatStale+time.Second)) {
			t.Errorf("heartbeat verdict %v after demand began, want %v to %v", at.Sub(from), cfg.HeartbeatStale,
				cfg.HeartbeatStale+time.Second)
		}
		w.wantReturn(t)
	})
}
