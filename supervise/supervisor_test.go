package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap/zaptest"
)

// The loop tests run in synctest bubbles: fakes talk over channels, time
// is virtual, and a wait of the loop's timers takes no real time.

type harness struct {
	starter *fakeStarter
	events  chan Event
	signals chan os.Signal
	result  chan runResult
	sup     *Supervisor
	cancel  context.CancelFunc
}

type runResult struct {
	code int
	err  error
}

// runFake starts a Supervisor over fakes; call it inside a bubble. The
// cleanup stops it and waits for Run.
func runFake(t *testing.T, mod func(*harness, *Config)) *harness {
	t.Helper()
	h := &harness{
		starter: newFakeStarter(),
		events:  make(chan Event, 100), signals: make(chan os.Signal, 4), result: make(chan runResult, 1),
	}
	cfg := Config{
		Spec:       Spec{Path: "/bin/fake", Args: []string{"fake"}},
		Backoff:    BackoffPolicy{Min: time.Second, Max: 8 * time.Second, Reset: time.Minute},
		StopSignal: syscall.SIGTERM, StopGrace: 10 * time.Second,
		Signals: h.signals, Log: zaptest.NewLogger(t),
		OnEvent: func(e Event) { h.events <- e },
		Rand:    func() float64 { return 0.5 }, Start: h.starter.start,
	}
	if mod != nil {
		mod(h, &cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.sup = New(cfg)
	go func() {
		code, err := h.sup.Run(ctx)
		h.result <- runResult{code, err}
	}()
	t.Cleanup(func() {
		cancel()
		recv(t, h.sup.quit, "the supervisor to stop")
	})
	return h
}

// done waits for Run to return.
func (h *harness) done(t *testing.T) runResult {
	t.Helper()
	r := recv(t, h.result, "Run to return")
	h.result <- r
	return r
}

// until reads events until one of type T arrives.
func until[T Event](t *testing.T, h *harness) T {
	t.Helper()
	for {
		if e, ok := recv(t, h.events, "an event").(T); ok {
			return e
		}
	}
}

// status is the published status once the bubble is idle.
func (h *harness) status() Status {
	synctest.Wait()
	return h.sup.Status()
}

func (h *harness) state() State { return h.status().State }

func TestCrashRestartsAfterGrowingBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, nil)
		p := recv(t, h.starter.started, "first start")
		var delays []time.Duration
		for range 5 {
			p.exit(137)
			e := until[BackingOff](t, h)
			if e.Reason != ReasonExit {
				t.Fatalf("backoff %+v, want reason exit", e)
			}
			t0 := time.Now()
			p = recv(t, h.starter.started, "restart")
			delays = append(delays, time.Since(t0))
		}
		// rand 0.5: min + half of (ceiling - min); ceilings 1,2,4,8,8 s.
		want := []time.Duration{time.Second, 1500 * time.Millisecond, 2500 * time.Millisecond, 4500 * time.Millisecond, 4500 * time.Millisecond}
		for i := range want {
			if delays[i] != want[i] {
				t.Fatalf("delays %v, want %v", delays, want)
			}
		}
		if st := h.status(); st.Restarts != 5 || st.LastExitCode != 137 || st.LastRestartReason != ReasonExit {
			t.Fatalf("status %+v, want 5 restarts, last exit 137, reason exit", st)
		}
	})
}

func TestBackoffResetsAfterHealthyRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, nil)
		p := recv(t, h.starter.started, "start")
		for range 3 { // grow the backoff
			p.exit(1)
			until[BackingOff](t, h)
			p = recv(t, h.starter.started, "restart")
		}
		time.Sleep(time.Minute) // healthy (no probe => running at start) for Reset
		p.exit(1)
		// Attempt 1 again; and the minute it ran is longer than the 1 s
		// between starts, so it comes back at once.
		if e := until[BackingOff](t, h); e.Delay != 0 || e.Attempt != 1 {
			t.Fatalf("after a healthy minute: %+v, want attempt 1 and no wait", e)
		}
	})
}

// The backoff separates starts: a child that ran part of the delay waits
// the rest of it, one that ran longer comes back at once.
func TestBackoffCountsFromTheStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, nil)
		p := recv(t, h.starter.started, "start")
		time.Sleep(400 * time.Millisecond)
		p.exit(1)
		e := until[BackingOff](t, h)
		t0 := time.Now()
		p = recv(t, h.starter.started, "restart")
		if e.Delay != 600*time.Millisecond || time.Since(t0) != 600*time.Millisecond {
			t.Fatalf("ran 400ms: backoff %v, restarted after %v; want the rest of the 1s minimum, 600ms", e.Delay, time.Since(t0))
		}
		time.Sleep(5 * time.Second) // longer than the grown ceiling (2 s)
		p.exit(1)
		e = until[BackingOff](t, h)
		t0 = time.Now()
		recv(t, h.starter.started, "restart")
		if e.Delay != 0 || e.Attempt != 2 || time.Since(t0) != 0 {
			t.Fatalf("ran 5s: %+v, restarted after %v; want attempt 2 with no wait", e, time.Since(t0))
		}
	})
}

func TestDegradedCapturesThenStopsThenKills(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		health, capt := newFakeHealth(), newFakeCapture()
		h := runFake(t, func(h *harness, c *Config) {
			c.Health, c.Capture = health, capt
			h.starter.ignoreTerm = true
		})
		p := recv(t, h.starter.started, "start")
		pid := recv(t, health.watched, "watch")
		if s := h.state(); s != Starting {
			t.Fatalf("state %v before the first ok probe, want starting", s)
		}
		health.healthy(pid)
		until[ChildHealthy](t, h)
		health.degraded(pid, "heartbeat")
		if e := until[CaptureStarted](t, h); e.Reason != "heartbeat" || !e.Restart {
			t.Fatalf("capture %+v, want the restart's, reason heartbeat", e)
		}
		if r := recv(t, capt.calls, "capture"); r != "heartbeat" {
			t.Fatalf("capture reason %q", r)
		}
		synctest.Wait()
		select {
		case s := <-p.signals:
			t.Fatalf("child signalled (%v) before the capture finished", s)
		default:
		}
		close(capt.release)
		if e := until[CaptureFinished](t, h); e.Dir != "/bundles/heartbeat" || e.Abandoned {
			t.Fatalf("capture finished %+v", e)
		}
		until[ChildStopping](t, h)
		if s := recv(t, p.signals, "stop signal"); s != (sentSignal{syscall.SIGTERM, true}) {
			t.Fatalf("first signal %+v, want SIGTERM to the group", s)
		}
		if s := recv(t, p.signals, "SIGCONT"); s != (sentSignal{syscall.SIGCONT, true}) {
			t.Fatalf("second signal %+v, want SIGCONT to the group", s)
		}
		t0 := time.Now()
		if s := recv(t, p.signals, "SIGKILL"); s != (sentSignal{syscall.SIGKILL, true}) || time.Since(t0) != 10*time.Second {
			t.Fatalf("after %v: %+v, want SIGKILL to the group after the 10s grace", time.Since(t0), s)
		}
		if e := until[BackingOff](t, h); e.Reason != "heartbeat" || e.Detail != "heartbeat failed" || e.Restarts != 1 {
			t.Fatalf("backoff %+v, want reason heartbeat with its detail, restarts 1", e)
		}
		if st := h.status(); st.LastBundle != "/bundles/heartbeat" || st.LastExitCode != 137 {
			t.Fatalf("status %+v, want the bundle and exit 137", st)
		}
	})
}

func TestDegradedWithoutCapturerStopsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		health := newFakeHealth()
		h := runFake(t, func(_ *harness, c *Config) { c.Health = health })
		p := recv(t, h.starter.started, "start")
		health.degraded(recv(t, health.watched, "watch"), "startup")
		if e := until[ChildStopping](t, h); e.Reason != "startup" {
			t.Fatalf("stopping %+v, want reason startup", e)
		}
		recv(t, p.signals, "stop signal")
		if e := until[BackingOff](t, h); e.Reason != "startup" {
			t.Fatalf("backoff %+v", e)
		}
	})
}

func TestShutdownStopsChildAndReturnsItsStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, nil)
		p := recv(t, h.starter.started, "start")
		h.signals <- syscall.SIGTERM
		recv(t, p.signals, "stop signal")
		if e := until[ChildStopping](t, h); !e.Shutdown {
			t.Fatalf("stopping %+v, want shutdown", e)
		}
		if r := h.done(t); r.code != 0 || r.err != nil {
			t.Fatalf("Run returned %+v, want 0: told to stop, the child ended on the stop signal", r)
		}
		if st := h.status(); st.LastExitCode != 143 {
			t.Fatalf("status says the child exited %d, want its own 143", st.LastExitCode)
		}
		if e := until[Exiting](t, h); e.Code != 0 {
			t.Fatalf("exiting %+v", e)
		}
	})
}

// Told to stop in backoff, with no child running: a clean stop, at once.
// The last child's status (3) says nothing about this stop, and would
// leave `systemctl stop` with a failed unit.
func TestShutdownDuringBackoffIsImmediate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, nil)
		p := recv(t, h.starter.started, "start")
		p.exit(3)
		if b := until[BackingOff](t, h); b.Detail != "the child exited with status 3" {
			t.Fatalf("backoff detail %q, want the exit in words", b.Detail)
		}
		t0 := time.Now()
		h.signals <- syscall.SIGINT
		if r := h.done(t); r.code != 0 || time.Since(t0) != 0 {
			t.Fatalf("Run returned %+v after %v, want a clean 0 at once", r, time.Since(t0))
		}
	})
}

func TestShutdownWhileStartingWaitsForTheStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		h := runFake(t, func(h *harness, _ *Config) { h.starter.gate = gate })
		h.signals <- syscall.SIGTERM
		if s := h.state(); s != Backoff {
			t.Fatalf("state %v while the first start is in flight, want backoff", s)
		}
		gate <- struct{}{} // the start completes after the shutdown
		p := recv(t, h.starter.started, "start")
		if s := recv(t, p.signals, "stop signal"); s.sig != syscall.SIGTERM {
			t.Fatalf("the child started during shutdown got %+v, want SIGTERM", s)
		}
		if r := h.done(t); r.code != 0 {
			t.Fatalf("Run returned %+v, want 0 (a clean stop)", r)
		}
	})
}

func TestForwardsOtherSignalsToChildOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, nil)
		p := recv(t, h.starter.started, "start")
		until[ChildStarted](t, h)    // the loop knows the child: the start runs off the loop
		h.signals <- syscall.SIGPIPE // caught and dropped: never the child's
		h.signals <- syscall.SIGHUP
		if s := recv(t, p.signals, "forwarded"); s != (sentSignal{syscall.SIGHUP, false}) {
			t.Fatalf("got %+v, want SIGHUP to the child", s)
		}
	})
}

func TestRestartNeverExitsWithChildStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, func(_ *harness, c *Config) { c.Restart = RestartNever })
		recv(t, h.starter.started, "start").exit(7)
		if r := h.done(t); r.code != 7 || r.err != nil {
			t.Fatalf("Run returned %+v, want 7", r)
		}
	})
}

func TestFirstStartFailureIsAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, func(h *harness, _ *Config) { h.starter.failNext(os.ErrNotExist) })
		r := h.done(t)
		var se *StartError
		if !errors.As(r.err, &se) || se.Code != 127 {
			t.Fatalf("Run returned %+v, want a StartError with code 127", r)
		}
		if e := until[StartFailed](t, h); e.Code != 127 {
			t.Fatalf("start failed %+v", e)
		}
	})
}

func TestStartFailureAfterCrashBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, nil)
		p := recv(t, h.starter.started, "start")
		h.starter.failNext(os.ErrPermission)
		p.exit(1)
		until[StartFailed](t, h)
		e := until[BackingOff](t, h)
		if e.Reason != ReasonExit || e.Restarts != 2 || e.Delay != 1500*time.Millisecond {
			t.Fatalf("after a failed restart: %+v, want reason exit, restarts 2, a grown 1.5s wait", e)
		}
		recv(t, h.starter.started, "the start after it")
		if st := h.status(); st.State != Running || st.LastExitCode != 126 {
			t.Fatalf("status %+v, want running, last exit 126", st)
		}
	})
}

func TestShutdownWhileARestartFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, nil)
		p := recv(t, h.starter.started, "start")
		gate := make(chan struct{})
		h.starter.mu.Lock()
		h.starter.gate = gate
		h.starter.mu.Unlock()
		h.starter.failNext(os.ErrNotExist)
		p.exit(1)
		until[BackingOff](t, h)
		time.Sleep(time.Second) // the backoff: the restart is now in flight, held at the gate
		h.signals <- syscall.SIGTERM
		if s := h.state(); s != Backoff {
			t.Fatalf("state %v while told to stop during a start, want backoff until the start's outcome", s)
		}
		close(gate)
		if r := h.done(t); r.code != 127 || r.err != nil {
			t.Fatalf("Run returned %+v, want 127 and no error (not the first start)", r)
		}
	})
}

// TestTransientStartFailureIsRetried: a start that fails because hsup is
// short of a resource (EAGAIN from fork at a pids limit) is hsup's trouble,
// not the program's: it is retried after the backoff, the first start and
// --restart=never included, and counted as no exit of the child.
func TestTransientStartFailureIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, func(h *harness, c *Config) {
			c.Restart = RestartNever
			h.starter.failNext(fmt.Errorf("fork/exec /bin/fake: %w", syscall.EAGAIN))
		})
		e := until[StartFailed](t, h)
		if !e.Transient || e.Code != ExitTransient {
			t.Fatalf("start failed %+v, want transient", e)
		}
		if b := until[BackingOff](t, h); b.Reason != ReasonHsup || b.Delay != time.Second {
			t.Fatalf("backoff %+v, want reason %s after the minimum wait", b, ReasonHsup)
		}
		recv(t, h.starter.started, "the retried start")
		if st := h.status(); st.State != Running || st.Exited {
			t.Fatalf("status %+v, want running, and no child exit recorded", st)
		}
	})
}

// TestTransientStartFailureDuringShutdownExits75: told to stop while the
// first start fails for want of a resource, hsup exits with the retryable
// ExitTransient, not with a code that says "not executable".
func TestTransientStartFailureDuringShutdownExits75(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		h := runFake(t, func(h *harness, _ *Config) {
			h.starter.gate = gate
			h.starter.failNext(syscall.ENOMEM)
		})
		h.signals <- syscall.SIGTERM
		synctest.Wait()
		close(gate)
		r := h.done(t)
		var se *StartError
		if !errors.As(r.err, &se) || se.Code != ExitTransient || !se.Transient {
			t.Fatalf("Run returned %+v, want a transient StartError (exit %d)", r, ExitTransient)
		}
	})
}

// TestShutdownWhileStarting: told to stop before the first ok probe, hsup
// stops the starting child and exits cleanly.
func TestShutdownWhileStarting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		health := newFakeHealth()
		h := runFake(t, func(_ *harness, c *Config) { c.Health = health })
		p := recv(t, h.starter.started, "start")
		recv(t, health.watched, "watch")
		if s := h.state(); s != Starting {
			t.Fatalf("state %v, want starting", s)
		}
		h.signals <- syscall.SIGTERM
		if e := until[ChildStopping](t, h); !e.Shutdown || e.Reason != "shutdown" {
			t.Fatalf("stopping %+v, want a shutdown stop", e)
		}
		recv(t, p.signals, "stop signal")
		if r := h.done(t); r.code != 0 {
			t.Fatalf("Run returned %+v, want 0 (a clean stop)", r)
		}
	})
}
