package healthcheck

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// waitLimit bounds every wait in these tests; the happy paths take tens of ms.
const waitLimit = 10 * time.Second

type appMode int32

const (
	appOK        appMode = iota // 200, counter advances per request
	appFrozen                   // 200, counter stuck
	appNoCounter                // 200 without the heartbeat field
	appDegraded                 // 503 JSON
	appError                    // 500 plain text
	appHang                     // never answers
)

// fakeApp mimics the WebUI's /health and /health?deep=1.
type fakeApp struct {
	mode     atomic.Int32
	deepFail atomic.Bool
	requests atomic.Int64
	srv      *httptest.Server
}

func newFakeApp(t *testing.T, mode appMode) *fakeApp {
	t.Helper()
	a := &fakeApp{}
	a.mode.Store(int32(mode))
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *fakeApp) set(m appMode) { a.mode.Store(int32(m)) }

func (a *fakeApp) serve(w http.ResponseWriter, r *http.Request) {
	n := a.requests.Add(1)
	if r.URL.Query().Get("deep") == "1" && a.deepFail.Load() {
		w.WriteHeader(503)
		fmt.Fprint(w, `{"status":"degraded","error":"OperationalError"}`)
		return
	}
	switch appMode(a.mode.Load()) {
	case appOK:
		fmt.Fprintf(w, `{"status":"ok","accept_loop":{"requests_total":%d}}`, n)
	case appFrozen:
		fmt.Fprint(w, `{"status":"ok","accept_loop":{"requests_total":7}}`)
	case appNoCounter:
		fmt.Fprint(w, `{"status":"ok"}`)
	case appDegraded:
		w.WriteHeader(503)
		fmt.Fprintf(w, `{"status":"degraded","accept_loop":{"requests_total":%d}}`, n)
	case appError:
		w.WriteHeader(500)
		fmt.Fprint(w, "internal error")
	case appHang:
		<-r.Context().Done()
	}
}

func (a *fakeApp) config() Config {
	c := DefaultConfig()
	c.URL = a.srv.URL + "/health"
	c.DeepURL, _ = DeepURL(c.URL)
	c.Interval, c.Timeout, c.Failures = 20*time.Millisecond, time.Second, 3
	c.DeepInterval, c.DeepTimeout, c.DeepFailures = 30*time.Millisecond, time.Second, 2
	c.HeartbeatStale = 3 * time.Second
	c.StartupGrace = 5 * time.Second
	return c
}

type reportCall struct {
	healthy bool
	reason  string
}

// watchRun is one Watch call running in the background.
type watchRun struct {
	reports chan reportCall
	events  chan ProbeEvent
	done    chan struct{}
	cancel  context.CancelFunc
	mon     *Monitor
}

func startWatch(t *testing.T, cfg Config, log *zap.Logger) *watchRun {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	w := &watchRun{reports: make(chan reportCall, 10), events: make(chan ProbeEvent, 1000), done: make(chan struct{})}
	w.mon = NewMonitor(cfg, log, nil, func(e ProbeEvent) {
		select {
		case w.events <- e:
		default: // onProbe must not block
		}
	})
	w.start(t)
	return w
}

func (w *watchRun) start(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	w.cancel, w.done = cancel, make(chan struct{})
	go func() {
		defer close(w.done)
		w.mon.Watch(ctx, 4242, func(h bool, r string) { w.reports <- reportCall{h, r} })
	}()
	t.Cleanup(func() { cancel(); <-w.done })
}

func (w *watchRun) wantReport(t *testing.T, want reportCall) {
	t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	select {
	case got := <-w.reports:
		if got != want {
			t.Fatalf("report(%v, %q), want report(%v, %q)", got.healthy, got.reason, want.healthy, want.reason)
		}
	case <-timer.C:
		t.Fatalf("no report within %v, want report(%v, %q)", waitLimit, want.healthy, want.reason)
	}
}

func (w *watchRun) wantReturn(t *testing.T) {
	t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	select {
	case <-w.done:
	case <-timer.C:
		t.Fatalf("Watch did not return within %v", waitLimit)
	}
	if len(w.reports) != 0 {
		t.Errorf("extra report after the verdict: %+v", <-w.reports)
	}
}

// waitProbes waits for n more probe events of kind and returns the last.
func (w *watchRun) waitProbes(t *testing.T, kind Kind, n int) ProbeEvent {
	t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	var last ProbeEvent
	for n > 0 {
		select {
		case last = <-w.events:
			if last.Kind == kind {
				n--
			}
		case <-timer.C:
			t.Fatalf("%d %s probes still missing after %v", n, kind, waitLimit)
		}
	}
	return last
}

func TestWatchHealthyOnceAndStopsOnCancel(t *testing.T) {
	app := newFakeApp(t, appOK)
	baseline := runtime.NumGoroutine()
	core, logs := observer.New(zapcore.InfoLevel)
	w := startWatch(t, app.config(), zap.New(core))
	w.wantReport(t, reportCall{healthy: true})
	first := w.waitProbes(t, Cheap, 1)
	last := w.waitProbes(t, Cheap, 10)
	w.waitProbes(t, Deep, 2)
	if !last.HasHeartbeat || last.HeartbeatValue <= first.HeartbeatValue || last.HeartbeatAge > time.Second ||
		!last.HeartbeatAdvancedAt.After(first.HeartbeatAdvancedAt) {
		t.Errorf("heartbeat went from %+v to %+v, want an advancing, fresh counter", first, last)
	}
	w.cancel()
	w.wantReturn(t)
	waitGoroutines(t, baseline)

	if n := logs.FilterMessage("child is healthy").Len(); n != 1 {
		t.Errorf("logged healthy %d times, want 1", n)
	}
	// Only class changes are logged: the first cheap ok and the first deep ok.
	if n := logs.FilterMessage("probe result changed").Len(); n != 2 {
		t.Errorf("logged %d probe result changes for steady ok probes, want 2: %v", n, logs.All())
	}
	snap := w.mon.Snapshot()
	if snap.Cheap == nil || snap.Cheap.Result != OK || snap.Deep == nil || snap.Deep.Result != OK ||
		!snap.HeartbeatEnabled || snap.HeartbeatValue == 0 || snap.HeartbeatAdvancedAt.IsZero() {
		t.Errorf("Snapshot() = %+v, want last ok outcomes and heartbeat state", snap)
	}
}

// waitGoroutines polls, bounded, until the goroutine count is back to baseline.
func waitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines still running, want %d:\n%s", runtime.NumGoroutine(), baseline,
				buf[:runtime.Stack(buf, true)])
		}
		poll := time.NewTimer(5 * time.Millisecond)
		<-poll.C
	}
}

func TestWatchDegradedHealth(t *testing.T) {
	app := newFakeApp(t, appOK)
	cfg := app.config()
	cfg.DeepURL = "" // the deep probe would see the 503 too and might win the race
	w := startWatch(t, cfg, zaptest.NewLogger(t))
	w.wantReport(t, reportCall{healthy: true})
	app.set(appDegraded)
	w.wantReport(t, reportCall{healthy: false, reason: ReasonHealth})
	w.wantReturn(t)
	if snap := w.mon.Snapshot(); snap.Cheap == nil || snap.Cheap.Result != Degraded || snap.Cheap.Status != 503 {
		t.Errorf("Snapshot().Cheap = %+v, want the 503 degraded outcome", snap.Cheap)
	}
}

func TestWatchFrozenHeartbeat(t *testing.T) {
	app := newFakeApp(t, appFrozen)
	cfg := app.config()
	cfg.Timeout, cfg.HeartbeatStale = 300*time.Millisecond, 400*time.Millisecond
	w := startWatch(t, cfg, zaptest.NewLogger(t))
	w.wantReport(t, reportCall{healthy: true})
	w.wantReport(t, reportCall{healthy: false, reason: ReasonHeartbeat})
	w.wantReturn(t)
}

func TestWatchNeverHealthy(t *testing.T) {
	app := newFakeApp(t, appError)
	cfg := app.config()
	cfg.StartupGrace = 200 * time.Millisecond
	w := startWatch(t, cfg, zaptest.NewLogger(t))
	w.wantReport(t, reportCall{healthy: false, reason: ReasonStartup})
	w.wantReturn(t)
}

// TestWatchStartupWhileProbesHang: the grace deadline fires on its timer
// while the only probe is still waiting for its (long) timeout.
func TestWatchStartupWhileProbesHang(t *testing.T) {
	app := newFakeApp(t, appHang)
	cfg := app.config()
	cfg.Timeout, cfg.HeartbeatStale, cfg.StartupGrace = time.Hour, 2*time.Hour, 100*time.Millisecond
	start := time.Now()
	w := startWatch(t, cfg, zaptest.NewLogger(t))
	w.wantReport(t, reportCall{healthy: false, reason: ReasonStartup})
	w.wantReturn(t)
	if took := time.Since(start); took > waitLimit/2 {
		t.Errorf("startup verdict took %v with a grace of %v", took, cfg.StartupGrace)
	}
}

func TestWatchDeepFailing(t *testing.T) {
	app := newFakeApp(t, appOK)
	app.deepFail.Store(true)
	w := startWatch(t, app.config(), zaptest.NewLogger(t))
	w.wantReport(t, reportCall{healthy: true})
	w.wantReport(t, reportCall{healthy: false, reason: ReasonDeep})
	w.wantReturn(t)
	if snap := w.mon.Snapshot(); snap.Deep == nil || snap.Deep.Detail != "degraded: OperationalError" {
		t.Errorf("Snapshot().Deep = %+v, want the failing deep outcome", snap.Deep)
	}
}

func TestWatchMissingHeartbeatFieldWarnsOnce(t *testing.T) {
	app := newFakeApp(t, appNoCounter)
	cfg := app.config()
	cfg.Timeout, cfg.HeartbeatStale = 100*time.Millisecond, 150*time.Millisecond
	cfg.Failures = 1000 // a slow probe on a loaded machine must not end this test early
	core, logs := observer.New(zapcore.InfoLevel)
	w := startWatch(t, cfg, zap.New(core))
	w.wantReport(t, reportCall{healthy: true})
	// Probe for well past the staleness limit: no heartbeat verdict may come.
	begin := time.Now()
	for time.Since(begin) < 3*cfg.HeartbeatStale {
		if ev := w.waitProbes(t, Cheap, 1); ev.HasHeartbeat {
			t.Fatalf("probe event %+v claims a heartbeat", ev)
		}
	}
	if len(w.reports) != 0 {
		t.Fatalf("unexpected report %+v", <-w.reports)
	}
	w.cancel()
	w.wantReturn(t)
	warns := logs.FilterMessageSnippet("heartbeat field").FilterLevelExact(zapcore.WarnLevel)
	if warns.Len() != 1 {
		t.Errorf("got %d heartbeat warnings, want 1: %v", warns.Len(), warns.All())
	}
	if snap := w.mon.Snapshot(); snap.HeartbeatEnabled {
		t.Errorf("Snapshot().HeartbeatEnabled = true after the field was missing")
	}
}

func TestWatchFreshStatePerChild(t *testing.T) {
	app := newFakeApp(t, appError)
	cfg := app.config()
	cfg.StartupGrace = 200 * time.Millisecond
	w := startWatch(t, cfg, zaptest.NewLogger(t))
	w.wantReport(t, reportCall{healthy: false, reason: ReasonStartup})
	w.wantReturn(t)

	app.set(appOK) // the "next child" answers
	w.start(t)
	w.wantReport(t, reportCall{healthy: true})
	w.cancel()
	w.wantReturn(t)
}

func TestWatchProbingDisabled(t *testing.T) {
	w := startWatch(t, Config{}, zaptest.NewLogger(t))
	w.wantReport(t, reportCall{healthy: true})
	w.cancel()
	w.wantReturn(t)
	if snap := w.mon.Snapshot(); snap.Cheap != nil || snap.HeartbeatEnabled {
		t.Errorf("Snapshot() = %+v, want empty with probing disabled", snap)
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	app := newFakeApp(t, appOK)
	w := startWatch(t, app.config(), zaptest.NewLogger(t))
	w.wantReport(t, reportCall{healthy: true})
	w.cancel()
	w.wantReturn(t)
	a := w.mon.Snapshot()
	a.Cheap.Detail = "changed"
	if b := w.mon.Snapshot(); strings.Contains(b.Cheap.Detail, "changed") {
		t.Error("Snapshot() shares its Outcome with the Monitor")
	}
}

// TestWatchStartupProbesFaster: until the first ok probe the cheap probe
// runs every StartupProbeInterval, so a child that starts serving is marked
// healthy at once, not a whole --health-interval later.
func TestWatchStartupProbesFaster(t *testing.T) {
	app := newFakeApp(t, appDegraded)
	cfg := app.config()
	cfg.Interval, cfg.HeartbeatStale, cfg.StartupGrace = time.Hour, 2*time.Hour, 2*time.Hour
	cfg.DeepURL = ""
	w := startWatch(t, cfg, zap.NewNop())
	w.waitProbes(t, Cheap, 1)
	app.set(appOK)
	w.wantReport(t, reportCall{healthy: true}) // bounded by waitLimit, far below the hour
	w.cancel()
	w.wantReturn(t)
}
