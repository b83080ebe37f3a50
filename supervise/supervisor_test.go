package supervise

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

type harness struct {
	clock   *fakeClock
	starter *fakeStarter
	events  chan Event
	signals chan os.Signal
	result  chan int // Run's code, once
	sup     *Supervisor
	cancel  context.CancelFunc
}

func runFake(t *testing.T, mod func(*harness, *Config)) *harness {
	t.Helper()
	h := &harness{
		clock: newFakeClock(), starter: newFakeStarter(),
		events: make(chan Event, 100), signals: make(chan os.Signal, 4), result: make(chan int, 1),
	}
	cfg := Config{
		Spec:       Spec{Path: "/bin/fake", Args: []string{"fake"}},
		Backoff:    BackoffPolicy{Min: time.Second, Max: 8 * time.Second, Reset: time.Minute},
		StopSignal: syscall.SIGTERM, StopGrace: 10 * time.Second,
		Signals: h.signals, Log: zaptest.NewLogger(t),
		Observe: func(e Event) { h.events <- e },
		Clock:   h.clock, Rand: func() float64 { return 0.5 }, Start: h.starter.start,
	}
	if mod != nil {
		mod(h, &cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.sup = New(cfg)
	go func() {
		code, err := h.sup.Run(ctx)
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		h.result <- code
	}()
	t.Cleanup(func() {
		cancel()
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-h.sup.quit:
		case <-timer.C:
			t.Error("supervisor did not stop")
		}
	})
	return h
}

// until reads events until one is in state want and returns it.
func (h *harness) until(t *testing.T, want State) Event {
	t.Helper()
	for {
		if e := recv(t, h.events, "event "+want.String()); e.State == want {
			return e
		}
	}
}

func TestCrashRestartsAfterGrowingBackoff(t *testing.T) {
	h := runFake(t, nil)
	p := recv(t, h.starter.started, "first start")
	var delays []time.Duration
	for i := 0; i < 5; i++ {
		p.exit(137)
		e := h.until(t, Backoff)
		if e.Reason != ReasonExit || e.ExitCode != 137 || !e.Exited {
			t.Fatalf("backoff event %+v, want reason exit code 137", e)
		}
		d := recv(t, h.clock.armed, "backoff timer")
		delays = append(delays, d)
		h.clock.Advance(d)
		p = recv(t, h.starter.started, "restart")
	}
	// rand 0.5: min + half of (ceiling - min); ceilings 1,2,4,8,8 s.
	want := []time.Duration{time.Second, 1500 * time.Millisecond, 2500 * time.Millisecond, 4500 * time.Millisecond, 4500 * time.Millisecond}
	for i := range want {
		if delays[i] != want[i] {
			t.Fatalf("delays %v, want %v", delays, want)
		}
	}
}

func TestBackoffResetsAfterHealthyRun(t *testing.T) {
	h := runFake(t, nil)
	p := recv(t, h.starter.started, "start")
	for i := 0; i < 3; i++ { // grow the backoff
		p.exit(1)
		h.clock.Advance(recv(t, h.clock.armed, "backoff"))
		p = recv(t, h.starter.started, "restart")
	}
	h.clock.Advance(time.Minute) // healthy (no probe => running at start) for Reset
	p.exit(1)
	if e := h.until(t, Backoff); e.Backoff != time.Second {
		t.Fatalf("after a healthy minute the backoff is %v, want the minimum 1s", e.Backoff)
	}
}

func TestDegradedCapturesThenStopsThenKills(t *testing.T) {
	health, capt := newFakeHealth(), &fakeCapture{calls: make(chan string, 1), release: make(chan struct{})}
	h := runFake(t, func(h *harness, c *Config) {
		c.Health, c.Capture = health, capt
		h.starter.ignoreTerm = true
	})
	p := recv(t, h.starter.started, "start")
	pid := recv(t, health.watched, "watch")
	health.report(pid, true, "")
	h.until(t, Running)
	health.report(pid, false, "heartbeat")
	if e := h.until(t, Capturing); e.Reason != "heartbeat" {
		t.Fatalf("capturing because %q, want heartbeat", e.Reason)
	}
	if r := recv(t, capt.calls, "capture"); r != "heartbeat" {
		t.Fatalf("capture reason %q", r)
	}
	select {
	case s := <-p.signals:
		t.Fatalf("child signalled (%v) before the capture finished", s)
	default:
	}
	close(capt.release)
	h.until(t, Stopping)
	if s := recv(t, p.signals, "stop signal"); s != (sentSignal{syscall.SIGTERM, true}) {
		t.Fatalf("first signal %+v, want SIGTERM to the group", s)
	}
	if s := recv(t, p.signals, "SIGCONT"); s != (sentSignal{syscall.SIGCONT, true}) {
		t.Fatalf("second signal %+v, want SIGCONT to the group", s)
	}
	h.clock.Advance(recv(t, h.clock.armed, "grace timer"))
	if s := recv(t, p.signals, "SIGKILL"); s != (sentSignal{syscall.SIGKILL, true}) {
		t.Fatalf("after grace %+v, want SIGKILL to the group", s)
	}
	if e := h.until(t, Backoff); e.Reason != "heartbeat" || e.Restarts != 1 || e.ExitCode != 137 {
		t.Fatalf("backoff event %+v, want reason heartbeat, restarts 1", e)
	}
}

func TestShutdownStopsChildAndReturnsItsStatus(t *testing.T) {
	h := runFake(t, nil)
	p := recv(t, h.starter.started, "start")
	h.signals <- syscall.SIGTERM
	recv(t, p.signals, "stop signal")
	if code := recv(t, h.result, "Run to return"); code != 143 {
		t.Fatalf("Run returned %d, want the child's 143", code)
	}
}

func TestShutdownDuringBackoffIsImmediate(t *testing.T) {
	h := runFake(t, nil)
	p := recv(t, h.starter.started, "start")
	p.exit(3)
	h.until(t, Backoff)
	h.signals <- syscall.SIGINT
	if code := recv(t, h.result, "Run to return"); code != 3 {
		t.Fatalf("Run returned %d, want the last child's 3", code)
	}
}

func TestForwardsOtherSignalsToChildOnly(t *testing.T) {
	h := runFake(t, nil)
	p := recv(t, h.starter.started, "start")
	h.signals <- syscall.SIGHUP
	if s := recv(t, p.signals, "forwarded"); s != (sentSignal{syscall.SIGHUP, false}) {
		t.Fatalf("got %+v, want SIGHUP to the child", s)
	}
}

func TestRestartNeverExitsWithChildStatus(t *testing.T) {
	h := runFake(t, func(_ *harness, c *Config) { c.Restart = RestartNever })
	recv(t, h.starter.started, "start").exit(7)
	if code := recv(t, h.result, "Run to return"); code != 7 {
		t.Fatalf("Run returned %d, want 7", code)
	}
}

func TestStartupVerdictIgnoredForOldChild(t *testing.T) {
	health := newFakeHealth()
	h := runFake(t, func(_ *harness, c *Config) { c.Health = health })
	p := recv(t, h.starter.started, "start")
	old := recv(t, health.watched, "watch")
	p.exit(1)
	h.clock.Advance(recv(t, h.clock.armed, "backoff"))
	p = recv(t, h.starter.started, "restart")
	recv(t, health.watched, "watch new")
	for e := h.until(t, Starting); e.Pid != p.pid; e = h.until(t, Starting) {
	}
	health.report(old, false, "health") // its ctx is done: returns at once or is dropped
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := h.sup.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-h.events:
		t.Fatalf("a verdict about the old child changed state: %+v", e)
	default:
	}
}

func TestPing(t *testing.T) {
	h := runFake(t, nil)
	recv(t, h.starter.started, "start")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := h.sup.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
