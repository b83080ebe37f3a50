package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// The Monitor's tests run in testing/synctest bubbles: every timer and
// deadline below is on virtual time, so they are deterministic and take no
// wall time. A real socket would keep the bubble's clock from advancing,
// so the Monitor probes through fakeApp.probe, which serves each request
// in-process; Probe itself is tested over real sockets in probe_test.go
// and hostile_test.go.

// waitLimit bounds every wait in these tests (virtual time).
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
}

func newFakeApp(mode appMode) *fakeApp {
	a := &fakeApp{}
	a.mode.Store(int32(mode))
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

// probe is the Monitor's prober in these tests: Probe's contract (timeout,
// body cap, classification, heartbeat field) with the request served
// in-process instead of over a socket.
func (a *fakeApp) probe(ctx context.Context, url string, timeout time.Duration, field string) Outcome {
	start := time.Now()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	rec := httptest.NewRecorder()
	a.serve(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, url, nil))
	if err := ctx.Err(); err != nil {
		return outcome(start, 0, nil, err, field)
	}
	body := rec.Body.Bytes()
	return outcome(start, rec.Code, body[:min(len(body), MaxBody)], nil, field)
}

// config is the tests' Config. The URL is never dialed (see probe).
func (a *fakeApp) config() Config {
	c := DefaultConfig()
	c.URL = "http://127.0.0.1:8787/health"
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
	facts   chan Report // the facts-only reports, newest kept
	events  chan ProbeEvent
	done    chan struct{}
	cancel  context.CancelFunc
	mon     *Monitor
}

// startWatch starts Watch against app; it must run inside a bubble.
func startWatch(t *testing.T, app *fakeApp, cfg Config, log *zap.Logger) *watchRun {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	w := &watchRun{reports: make(chan reportCall, 10), facts: make(chan Report, 1000),
		events: make(chan ProbeEvent, 1000), done: make(chan struct{})}
	w.mon = newMonitor(cfg, log, app.probe, func(e ProbeEvent) {
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
		w.mon.Watch(ctx, 4242, func(r Report) {
			if r.Verdict == StatusStarting {
				w.facts <- r
				return
			}
			w.reports <- reportCall{r.Verdict == StatusHealthy, r.Reason}
		})
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
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appOK)
		core, logs := observer.New(zapcore.InfoLevel)
		w := startWatch(t, app, app.config(), zap.New(core))
		w.wantReport(t, reportCall{healthy: true})
		w.waitProbes(t, Cheap, 10)
		w.waitProbes(t, Deep, 2)
		synctest.Wait()
		first, last := <-w.facts, Report{}
		for len(w.facts) > 0 {
			last = <-w.facts
		}
		hb0, hb := first.Heartbeat, last.Heartbeat
		if !hb.Known || hb.Value <= hb0.Value || time.Since(hb.AdvancedAt) > time.Second || !hb.AdvancedAt.After(hb0.AdvancedAt) {
			t.Errorf("heartbeat went from %+v to %+v, want an advancing, fresh counter", hb0, hb)
		}
		w.cancel()
		w.wantReturn(t)
		wantNoGoroutines(t)

		if n := logs.FilterMessage("child is healthy").Len(); n != 1 {
			t.Errorf("logged healthy %d times, want 1", n)
		}
		// Only class changes are logged: the first cheap ok and the first deep ok.
		if n := logs.FilterMessage("probe result changed").Len(); n != 2 {
			t.Errorf("logged %d probe result changes for steady ok probes, want 2: %v", n, logs.All())
		}
		if n := logs.FilterMessageSnippet("paused").Len(); n != 0 {
			t.Errorf("logged %d pauses of hsup without one: %v", n, logs.All())
		}
		snap := w.mon.Snapshot()
		if snap.Cheap == nil || snap.Cheap.Result != OK || snap.Deep == nil || snap.Deep.Result != OK ||
			!snap.HeartbeatEnabled || snap.HeartbeatValue == 0 || snap.HeartbeatAdvancedAt.IsZero() {
			t.Errorf("Snapshot() = %+v, want last ok outcomes and heartbeat state", snap)
		}
	})
}

var bubbleID = regexp.MustCompile(`, synctest bubble (\d+)[,\]]`)

// wantNoGoroutines fails if any goroutine of the caller's bubble, other
// than the caller, is left once all of them have exited or blocked.
func wantNoGoroutines(t *testing.T) {
	t.Helper()
	synctest.Wait()
	buf := make([]byte, 1<<20)
	stacks := strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n")
	self := bubbleID.FindStringSubmatch(stacks[0]) // the caller comes first
	if self == nil {
		t.Fatal("wantNoGoroutines must run inside a synctest bubble")
	}
	for _, g := range stacks[1:] {
		if strings.Contains(g, "testing/synctest.") {
			continue // synctest's own goroutines, which run the bubble
		}
		if m := bubbleID.FindStringSubmatch(g); m != nil && m[1] == self[1] {
			t.Errorf("goroutine left behind:\n%s", g)
		}
	}
}

func TestWatchDegradedHealth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appOK)
		cfg := app.config()
		cfg.DeepURL = "" // the deep probe would see the 503 too and might win the race
		w := startWatch(t, app, cfg, zaptest.NewLogger(t))
		w.wantReport(t, reportCall{healthy: true})
		app.set(appDegraded)
		w.wantReport(t, reportCall{healthy: false, reason: ReasonHealth})
		w.wantReturn(t)
		if snap := w.mon.Snapshot(); snap.Cheap == nil || snap.Cheap.Result != Degraded || snap.Cheap.Status != 503 {
			t.Errorf("Snapshot().Cheap = %+v, want the 503 degraded outcome", snap.Cheap)
		}
		// Every probe's facts were reported: the heartbeat while healthy,
		// then the failures counting up to one short of the verdict.
		var failures []int
		sawHeartbeat := false
		for len(w.facts) > 0 {
			f := <-w.facts
			sawHeartbeat = sawHeartbeat || f.Heartbeat.Known && f.Heartbeat.Value > 0
			if f.Failures > 0 {
				failures = append(failures, f.Failures)
			}
		}
		want := make([]int, 0, cfg.Failures-1)
		for i := 1; i < cfg.Failures; i++ {
			want = append(want, i)
		}
		if !sawHeartbeat || !slices.Equal(failures, want) {
			t.Errorf("facts: heartbeat seen %v, failures %v; want a heartbeat and failures %v", sawHeartbeat, failures, want)
		}
	})
}

func TestWatchFrozenHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appFrozen)
		cfg := app.config()
		cfg.Timeout, cfg.HeartbeatStale = 300*time.Millisecond, 400*time.Millisecond
		w := startWatch(t, app, cfg, zaptest.NewLogger(t))
		w.wantReport(t, reportCall{healthy: true})
		w.wantReport(t, reportCall{healthy: false, reason: ReasonHeartbeat})
		w.wantReturn(t)
	})
}

func TestWatchNeverHealthy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appError)
		cfg := app.config()
		cfg.StartupGrace = 200 * time.Millisecond
		w := startWatch(t, app, cfg, zaptest.NewLogger(t))
		w.wantReport(t, reportCall{healthy: false, reason: ReasonStartup})
		w.wantReturn(t)
	})
}

// TestWatchStartupWhileProbesHang: the grace deadline fires on its timer
// while the only probe is still waiting for its (long) timeout.
func TestWatchStartupWhileProbesHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appHang)
		cfg := app.config()
		cfg.Timeout, cfg.HeartbeatStale, cfg.StartupGrace = time.Hour, 2*time.Hour, 100*time.Millisecond
		start := time.Now()
		w := startWatch(t, app, cfg, zaptest.NewLogger(t))
		w.wantReport(t, reportCall{healthy: false, reason: ReasonStartup})
		w.wantReturn(t)
		// Virtual time is exact: the verdict comes at the grace, not later.
		if took := time.Since(start); took > waitLimit/2 || took != cfg.StartupGrace {
			t.Errorf("startup verdict took %v with a grace of %v", took, cfg.StartupGrace)
		}
	})
}

func TestWatchDeepFailing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appOK)
		app.deepFail.Store(true)
		w := startWatch(t, app, app.config(), zaptest.NewLogger(t))
		w.wantReport(t, reportCall{healthy: true})
		w.wantReport(t, reportCall{healthy: false, reason: ReasonDeep})
		w.wantReturn(t)
		if snap := w.mon.Snapshot(); snap.Deep == nil || snap.Deep.Detail != "degraded: OperationalError" {
			t.Errorf("Snapshot().Deep = %+v, want the failing deep outcome", snap.Deep)
		}
	})
}

func TestWatchMissingHeartbeatFieldWarnsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appNoCounter)
		cfg := app.config()
		cfg.Timeout, cfg.HeartbeatStale = 100*time.Millisecond, 150*time.Millisecond
		cfg.Failures = 1000 // only the heartbeat rule is under test
		core, logs := observer.New(zapcore.InfoLevel)
		w := startWatch(t, app, cfg, zap.New(core))
		w.wantReport(t, reportCall{healthy: true})
		// Probe for well past the staleness limit: no heartbeat verdict may come.
		begin := time.Now()
		for time.Since(begin) < 3*cfg.HeartbeatStale {
			w.waitProbes(t, Cheap, 1)
			synctest.Wait()
			for len(w.facts) > 0 {
				if f := <-w.facts; f.Heartbeat.Enabled && f.Heartbeat.Known {
					t.Fatalf("facts %+v claim a heartbeat", f)
				}
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
	})
}

func TestWatchFreshStatePerChild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appError)
		cfg := app.config()
		cfg.StartupGrace = 200 * time.Millisecond
		w := startWatch(t, app, cfg, zaptest.NewLogger(t))
		w.wantReport(t, reportCall{healthy: false, reason: ReasonStartup})
		w.wantReturn(t)

		app.set(appOK) // the "next child" answers
		w.start(t)
		w.wantReport(t, reportCall{healthy: true})
		w.cancel()
		w.wantReturn(t)
	})
}

func TestWatchProbingDisabled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appOK)
		w := startWatch(t, app, Config{}, zaptest.NewLogger(t))
		w.wantReport(t, reportCall{healthy: true})
		w.cancel()
		w.wantReturn(t)
		if snap := w.mon.Snapshot(); snap.Cheap != nil || snap.HeartbeatEnabled {
			t.Errorf("Snapshot() = %+v, want empty with probing disabled", snap)
		}
		if n := app.requests.Load(); n != 0 {
			t.Errorf("%d probes with probing disabled, want none", n)
		}
	})
}

func TestSnapshotIsACopy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appOK)
		w := startWatch(t, app, app.config(), zaptest.NewLogger(t))
		w.wantReport(t, reportCall{healthy: true})
		w.cancel()
		w.wantReturn(t)
		a := w.mon.Snapshot()
		a.Cheap.Detail = "changed"
		if b := w.mon.Snapshot(); strings.Contains(b.Cheap.Detail, "changed") {
			t.Error("Snapshot() shares its Outcome with the Monitor")
		}
	})
}

// TestWatchStartupProbesFaster: until the first ok probe the cheap probe
// runs every StartupProbeInterval, so a child that starts serving is marked
// healthy at once, not a whole --health-interval later.
func TestWatchStartupProbesFaster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appDegraded)
		cfg := app.config()
		cfg.Interval, cfg.HeartbeatStale, cfg.StartupGrace = time.Hour, 2*time.Hour, 2*time.Hour
		cfg.DeepURL = ""
		w := startWatch(t, app, cfg, zap.NewNop())
		w.waitProbes(t, Cheap, 1)
		app.set(appOK)
		w.wantReport(t, reportCall{healthy: true}) // bounded by waitLimit, far below the hour
		w.cancel()
		w.wantReturn(t)
	})
}

// TestWatchOwnerCheck: the first ok probe counts only when the listener
// that answered is the child's; the check runs once per child.
func TestWatchOwnerCheck(t *testing.T) {
	tests := []struct {
		name   string
		owned  bool
		err    error
		want   reportCall
		errors int // error lines naming the holder
	}{
		{name: "the child's own listener", owned: true, want: reportCall{healthy: true}},
		{name: "held by another process", want: reportCall{healthy: false, reason: ReasonPortHeld}, errors: 1},
		{name: "cannot tell", err: errors.New("lsof not found"), want: reportCall{healthy: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				app := newFakeApp(appOK)
				core, logs := observer.New(zapcore.InfoLevel)
				w := &watchRun{reports: make(chan reportCall, 10), facts: make(chan Report, 1000),
					events: make(chan ProbeEvent, 1000), done: make(chan struct{})}
				w.mon = newMonitor(app.config(), zap.New(core), app.probe, nil)
				var calls atomic.Int32
				w.mon.Owner = func(_ context.Context, pid int) (bool, string, error) {
					calls.Add(1)
					if pid != 4242 {
						t.Errorf("owner check for pid %d, want the watched 4242", pid)
					}
					return tt.owned, "port 8787 is held by pid 77 (python3)", tt.err
				}
				w.start(t)
				w.wantReport(t, tt.want)
				if !tt.want.healthy {
					w.wantReturn(t)
				}
				time.Sleep(5 * time.Second) // a few hundred more ok probes: no second check
				synctest.Wait()
				held := logs.FilterMessageSnippet("not from the child").FilterField(zap.String("holder", "port 8787 is held by pid 77 (python3)"))
				if calls.Load() != 1 || held.Len() != tt.errors {
					t.Fatalf("%d owner checks, %d holder lines; want 1 and %d", calls.Load(), held.Len(), tt.errors)
				}
			})
		})
	}
}

// pauseClock is the Monitor's clock in the pause tests: the bubble's
// virtual time plus an offset. pause moves the offset ahead while every
// goroutine of the bubble is blocked and fires at once every timer that
// is then overdue: what hsup sees when SIGCONT ends a SIGSTOP (the
// monotonic clock ran on, nothing in hsup ran, every expired timer is
// ready together and the order they are handled in is up to the runtime).
type pauseClock struct {
	mu     sync.Mutex
	offset time.Duration
	timers map[*pauseTimer]struct{} // armed, not yet fired or stopped
}

type pauseTimer struct {
	c   *pauseClock
	ch  chan time.Time
	due time.Time // on the clock
	t   *time.Timer
}

func newPauseClock() *pauseClock { return &pauseClock{timers: map[*pauseTimer]struct{}{}} }

func (c *pauseClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *pauseClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pt := &pauseTimer{c: c, ch: make(chan time.Time, 1), due: time.Now().Add(c.offset + d)}
	c.timers[pt] = struct{}{}
	pt.t = time.AfterFunc(d, pt.fire)
	return pt.ch, pt.stop
}

func (pt *pauseTimer) fire() {
	pt.c.mu.Lock()
	defer pt.c.mu.Unlock()
	if _, armed := pt.c.timers[pt]; armed {
		delete(pt.c.timers, pt)
		pt.ch <- time.Now().Add(pt.c.offset)
	}
}

func (pt *pauseTimer) stop() bool {
	pt.c.mu.Lock()
	defer pt.c.mu.Unlock()
	_, armed := pt.c.timers[pt]
	delete(pt.c.timers, pt)
	pt.t.Stop()
	return armed
}

// pause is a SIGSTOP of d followed by SIGCONT.
func (c *pauseClock) pause(d time.Duration) {
	synctest.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
	now := time.Now().Add(c.offset)
	for pt := range c.timers {
		if pt.t.Stop() {
			pt.t = time.AfterFunc(max(pt.due.Sub(now), 0), pt.fire)
		}
	}
}

// prober probes app, except that in appHang mode it waits for its
// timeout on the clock, as a real probe would across the pause.
func (c *pauseClock) prober(app *fakeApp) prober {
	return func(ctx context.Context, url string, timeout time.Duration, field string) Outcome {
		if appMode(app.mode.Load()) != appHang {
			return app.probe(ctx, url, timeout, field)
		}
		app.requests.Add(1)
		start := c.Now()
		expired, stop := c.NewTimer(timeout)
		defer stop()
		select {
		case <-expired:
			return Outcome{Result: Timeout, Duration: c.Now().Sub(start), Detail: "context deadline exceeded"}
		case <-ctx.Done():
			return Outcome{Result: Error, Duration: c.Now().Sub(start), Detail: ctx.Err().Error()}
		}
	}
}

// startPausable is startWatch on a pauseClock.
func startPausable(t *testing.T, app *fakeApp, cfg Config, log *zap.Logger) (*watchRun, *pauseClock) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	c := newPauseClock()
	w := &watchRun{reports: make(chan reportCall, 10), facts: make(chan Report, 1000),
		events: make(chan ProbeEvent, 1000), done: make(chan struct{})}
	w.mon = newMonitor(cfg, log, c.prober(app), func(e ProbeEvent) {
		select {
		case w.events <- e:
		default:
		}
	})
	w.mon.clock = c // before Watch: fixed from here on
	w.start(t)
	return w, c
}

// wantNoReport fails on any report within d (virtual time).
func (w *watchRun) wantNoReport(t *testing.T, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case got := <-w.reports:
		t.Fatalf("report(%v, %q) within %v of hsup's pause, want none", got.healthy, got.reason, d)
	case <-timer.C:
	}
}

// pauseLines are the warnings about hsup's own pause.
func pauseLines(logs *observer.ObservedLogs) []observer.LoggedEntry {
	return logs.FilterMessageSnippet("hsup was paused for ").FilterLevelExact(zapcore.WarnLevel).All()
}

// TestWatchPausedHeartbeat is the case: hsup is stopped for 31 s
// while the child is healthy; on waking, the heartbeat's deadline is long
// past ("stayed at 2 for 32.2s"). The watcher counts afresh instead, says
// so once, and still catches a counter that then really freezes.
func TestWatchPausedHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appOK)
		cfg := app.config()
		core, logs := observer.New(zapcore.InfoLevel)
		w, clk := startPausable(t, app, cfg, zap.New(core))
		w.wantReport(t, reportCall{healthy: true})
		w.waitProbes(t, Cheap, 5)
		clk.pause(31 * time.Second)
		w.wantNoReport(t, cfg.HeartbeatStale+time.Second)

		lines := pauseLines(logs)
		if len(lines) != 1 || lines[0].Message != "hsup was paused for 31s; not counting that against the child" {
			t.Fatalf("pause lines %v, want one saying 31s", lines)
		}
		if d := lines[0].ContextMap()["paused"].(time.Duration); d < 31*time.Second || d > 31*time.Second+pauseTick {
			t.Errorf("paused = %v, want 31s plus at most one tick", d)
		}
		app.set(appFrozen) // a real freeze after the pause is still a freeze
		w.wantReport(t, reportCall{healthy: false, reason: ReasonHeartbeat})
		w.wantReturn(t)
		if n := len(pauseLines(logs)); n != 1 {
			t.Errorf("%d pause lines, want 1", n)
		}
	})
}

// TestWatchPausedProbeInFlight: a cheap and a deep probe are waiting for
// an answer when hsup is stopped; their timeouts expire during the pause.
// With one failure enough for a verdict, neither may count.
func TestWatchPausedProbeInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appOK)
		cfg := app.config()
		cfg.Failures, cfg.DeepFailures = 1, 1
		core, logs := observer.New(zapcore.InfoLevel)
		w, clk := startPausable(t, app, cfg, zap.New(core))
		w.wantReport(t, reportCall{healthy: true})
		app.set(appHang)
		before := app.requests.Load()
		for app.requests.Load() < before+2 { // both kinds, as their intervals come
			time.Sleep(cfg.Interval)
		}
		app.set(appOK) // the probes in flight still hang; the next ones answer
		clk.pause(31 * time.Second)
		w.wantNoReport(t, 2*time.Second)

		if n := len(pauseLines(logs)); n != 1 {
			t.Errorf("%d pause lines, want 1: %v", n, logs.All())
		}
		dropped := logs.FilterMessageSnippet("in flight across hsup's pause").All()
		if len(dropped) < 1 {
			t.Errorf("no line about the probe in flight across the pause: %v", logs.All())
		}
		for _, l := range dropped {
			if l.ContextMap()["result"] != string(Timeout) {
				t.Errorf("dropped %v, want timeouts", l.ContextMap())
			}
		}
		synctest.Wait()
		var last Report
		for len(w.facts) > 0 {
			last = <-w.facts
		}
		if last.Failures != 0 {
			t.Errorf("facts after the pause say %d failures, want 0", last.Failures)
		}
		app.set(appError) // a real failure after the pause still counts (cheap or deep: a race)
		timer := time.NewTimer(waitLimit)
		defer timer.Stop()
		select {
		case got := <-w.reports:
			if got.healthy || (got.reason != ReasonHealth && got.reason != ReasonDeep) {
				t.Fatalf("report(%v, %q), want a health or deep verdict", got.healthy, got.reason)
			}
		case <-timer.C:
			t.Fatalf("no verdict within %v of a failing app", waitLimit)
		}
		w.wantReturn(t)
	})
}

// TestWatchPausedDuringStartup: the startup grace is extended by the
// pause, not eaten by it.
func TestWatchPausedDuringStartup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appError)
		cfg := app.config()
		core, logs := observer.New(zapcore.InfoLevel)
		w, clk := startPausable(t, app, cfg, zap.New(core))
		time.Sleep(cfg.StartupGrace - time.Second)
		clk.pause(31 * time.Second)
		time.Sleep(500 * time.Millisecond) // long past the grace from the start, inside the extended one
		synctest.Wait()
		if len(w.reports) != 0 {
			t.Fatalf("report %+v: the pause ate the startup grace", <-w.reports)
		}
		app.set(appOK)
		w.wantReport(t, reportCall{healthy: true})
		if n := len(pauseLines(logs)); n != 1 {
			t.Errorf("%d pause lines, want 1", n)
		}
		w.cancel()
		w.wantReturn(t)
	})
}

// TestWatchPausedShortIsNoPause: a stop shorter than the bound is not a
// pause; nothing is reset or logged.
func TestWatchPausedShortIsNoPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appOK)
		core, logs := observer.New(zapcore.InfoLevel)
		w, clk := startPausable(t, app, app.config(), zap.New(core))
		w.wantReport(t, reportCall{healthy: true})
		clk.pause(time.Second)
		w.waitProbes(t, Cheap, 10)
		if n := len(pauseLines(logs)); n != 0 {
			t.Errorf("a 1s stop logged %d pause lines, want none", n)
		}
		w.cancel()
		w.wantReturn(t)
	})
}
