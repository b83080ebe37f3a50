package supervise

import (
	"context"
	"reflect"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// Loop tests of captures: warning bundles, bounds, and what ends them.

func captureHarness(t *testing.T, capt *fakeCapture, timeout time.Duration) (*harness, *fakeHealth, *fakeProc, int) {
	t.Helper()
	health := newFakeHealth()
	h := runFake(t, func(_ *harness, c *Config) {
		c.Health, c.Capture, c.CaptureTimeout = health, capt, timeout
	})
	p := recv(t, h.starter.started, "start")
	pid := recv(t, health.watched, "watch")
	health.healthy(pid)
	until[ChildHealthy](t, h)
	return h, health, p, pid
}

func warn(h *fakeHealth, pid int) {
	h.report(pid, Report{Verdict: VerdictWarn, Reason: "fd_pressure", Detail: "900 of 1000 descriptors"})
}

func TestWarningCapturesAndKeepsRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		capt := newFakeCapture()
		h, health, p, pid := captureHarness(t, capt, time.Minute)
		warn(health, pid)
		if e := until[CaptureStarted](t, h); e.Restart || e.Reason != "fd_pressure" {
			t.Fatalf("capture %+v, want a warning bundle for fd_pressure", e)
		}
		recv(t, capt.calls, "capture")
		warn(health, pid) // a second warning while the first capture runs: dropped
		if s := h.state(); s != Running {
			t.Fatalf("state %v during a warning capture, want running", s)
		}
		capt.release <- struct{}{}
		if e := until[CaptureFinished](t, h); e.Dir != "/bundles/fd_pressure" {
			t.Fatalf("finished %+v", e)
		}
		synctest.Wait()
		select {
		case r := <-capt.calls:
			t.Fatalf("a second capture (%s) ran for a warning that came during the first", r)
		case s := <-p.signals:
			t.Fatalf("the child was signalled (%+v) for a warning", s)
		default:
		}
		time.Sleep(2 * time.Minute) // past the capture bound: its timer was stopped with the capture
		if st := h.status(); st.State != Running || st.LastBundle != "/bundles/fd_pressure" || st.Restarts != 0 {
			t.Fatalf("status %+v, want running, the bundle, no restart", st)
		}
	})
}

func TestWarningWithoutCapturerIsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		health := newFakeHealth()
		h := runFake(t, func(_ *harness, c *Config) { c.Health = health })
		recv(t, h.starter.started, "start")
		pid := recv(t, health.watched, "watch")
		drain(h)
		warn(health, pid)
		if st := h.status(); st.State != Starting {
			t.Fatalf("state %v after a warning without capturer, want starting", st.State)
		}
		select {
		case e := <-h.events:
			t.Fatalf("a warning without capturer emitted %T", e)
		default:
		}
	})
}

func TestWarningThenDegradedCapturesInTurn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		capt := newFakeCapture()
		h, health, p, pid := captureHarness(t, capt, time.Minute)
		warn(health, pid)
		recv(t, capt.calls, "warning capture")
		health.degraded(pid, "health")
		health.degraded(pid, "deep") // a second verdict: nothing more
		if s := h.state(); s != Capturing {
			t.Fatalf("state %v, want capturing", s)
		}
		select {
		case r := <-capt.calls:
			t.Fatalf("capture %q started while the warning's ran: two captures of one child at once", r)
		default:
		}
		capt.release <- struct{}{}
		if r := recv(t, capt.calls, "restart capture"); r != "health" {
			t.Fatalf("restart capture reason %q, want health", r)
		}
		capt.release <- struct{}{}
		recv(t, p.signals, "stop signal")
		if e := until[BackingOff](t, h); e.Reason != "health" {
			t.Fatalf("backoff %+v, want reason health", e)
		}
	})
}

func TestHungCapturerIsAbandonedAtCaptureTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		capt := newFakeCapture()
		capt.hang = true
		h, health, p, pid := captureHarness(t, capt, 15*time.Second)
		defer close(capt.release) // let the stuck collector go once the test is over
		t0 := time.Now()
		health.degraded(pid, "health")
		recv(t, capt.calls, "capture")
		e := until[CaptureFinished](t, h)
		if !e.Abandoned || time.Since(t0) != 15*time.Second {
			t.Fatalf("after %v: %+v, want abandoned at the 15s bound", time.Since(t0), e)
		}
		if s := recv(t, p.signals, "stop signal"); s.sig != syscall.SIGTERM {
			t.Fatalf("after the abandoned capture: %+v, want the stop", s)
		}
		if e := until[BackingOff](t, h); e.Reason != "health" {
			t.Fatalf("backoff %+v", e)
		}
		h.signals <- syscall.SIGTERM
		t1 := time.Now()
		recv(t, h.sup.quit, "Run to end")
		if r := h.done(t); r.code != 0 || time.Since(t1) > abandonWait {
			t.Fatalf("Run returned %+v after %v with a hung capture, want 0 (a clean stop) within %v", r, time.Since(t1), abandonWait)
		}
	})
}

func TestHungWarningCaptureIsAbandoned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		capt := newFakeCapture()
		capt.hang = true
		h, health, _, pid := captureHarness(t, capt, 15*time.Second)
		defer close(capt.release)
		warn(health, pid)
		recv(t, capt.calls, "capture")
		if e := until[CaptureFinished](t, h); !e.Abandoned || e.Restart {
			t.Fatalf("%+v, want the warning capture abandoned", e)
		}
		warn(health, pid) // the loop is free for the next capture
		if r := recv(t, capt.calls, "second capture"); r != "fd_pressure" {
			t.Fatalf("second capture %q", r)
		}
		if st := h.status(); st.State != Running {
			t.Fatalf("state %v, want running", st.State)
		}
	})
}

func TestExitDuringCapture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		capt := newFakeCapture()
		h, health, p, pid := captureHarness(t, capt, time.Minute)
		health.degraded(pid, "health")
		recv(t, capt.calls, "capture")
		p.exit(1)
		if e := until[BackingOff](t, h); e.Reason != "health" {
			t.Fatalf("backoff %+v, want the degraded reason kept", e)
		}
		if e := until[CaptureFinished](t, h); e.Dir != "/bundles/partial-health" || e.Abandoned {
			t.Fatalf("%+v, want the cut-short capture reported with what it wrote", e)
		}
		recv(t, h.starter.started, "restart")
	})
}

func TestShutdownDuringCapture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		capt := newFakeCapture()
		h, health, p, pid := captureHarness(t, capt, time.Minute)
		p.ignoreTerm = false
		health.degraded(pid, "health")
		recv(t, capt.calls, "capture")
		h.signals <- syscall.SIGTERM
		h.signals <- syscall.SIGTERM // again while stopping: nothing more
		if e := until[ChildStopping](t, h); !e.Shutdown {
			t.Fatalf("%+v, want a shutdown stop", e)
		}
		if r := h.done(t); r.code != 0 {
			t.Fatalf("Run returned %+v, want 0 (a clean stop)", r)
		}
	})
}

func TestStatusFollowsTheChild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		capt := newFakeCapture()
		h, health, _, pid := captureHarness(t, capt, time.Minute)
		adv := time.Now()
		health.report(pid, Report{Probe: &ProbeFacts{Failures: 2, HeartbeatKnown: true, HeartbeatValue: 41, HeartbeatAdvancedAt: adv}})
		health.report(pid, Report{FDs: &FDFacts{Open: 12, Limit: 4096}})
		health.healthy(pid) // again: nothing
		st := h.status()
		want := Status{State: Running, Pid: pid, Pgid: pid, StartedAt: st.StartedAt, RunningSince: st.RunningSince,
			ProbeFailures: 2, HeartbeatKnown: true, HeartbeatValue: 41, HeartbeatAdvancedAt: adv,
			FDsKnown: true, OpenFDs: 12, FDLimit: 4096}
		if !reflect.DeepEqual(st, want) || st.StartedAt.IsZero() || st.RunningSince.IsZero() {
			t.Fatalf("status\n%+v\nwant\n%+v", st, want)
		}
	})
}

func TestStartupVerdictIgnoredForOldChild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		health := newFakeHealth()
		h := runFake(t, func(_ *harness, c *Config) { c.Health = health })
		p := recv(t, h.starter.started, "start")
		old := recv(t, health.watched, "watch")
		p.exit(1)
		p = recv(t, h.starter.started, "restart")
		recv(t, health.watched, "watch new")
		drain(h)
		health.degraded(old, "health") // its ctx is done: returns at once or is dropped
		synctest.Wait()
		select {
		case e := <-h.events:
			t.Fatalf("a verdict about the old child did something: %T %+v", e, e)
		default:
		}
		if st := h.status(); st.State != Starting || st.Pid != p.pid {
			t.Fatalf("status %+v, want the new child starting", st)
		}
	})
}

func TestPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, nil)
		recv(t, h.starter.started, "start")
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := h.sup.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		h.cancel()
		h.done(t)
		if err := h.sup.Ping(ctx); err == nil {
			t.Fatal("Ping after Run returned: want an error")
		}
	})
}

// drain discards the events so far, once the bubble is idle.
func drain(h *harness) {
	synctest.Wait()
	for len(h.events) > 0 {
		<-h.events
	}
}

// TestSweepNeverForTheKernelOrInit: the loop never asks for a sweep of the
// tree of pid 0 or 1 (every process), whatever it is handed.
func TestSweepNeverForTheKernelOrInit(t *testing.T) {
	called := 0
	s := New(Config{Sweep: func(int, int, []Member, syscall.Signal) []Member { called++; return nil }})
	for _, ids := range [][2]int{{0, 0}, {1, 1}, {100, 0}, {0, 100}} {
		s.sweepLogged(ids[0], ids[1], nil, syscall.SIGKILL)
	}
	if called != 0 {
		t.Fatalf("Sweep called %d times for pid/pgid 0 or 1", called)
	}
	s.sweepLogged(100, 100, nil, syscall.SIGKILL)
	if called != 1 {
		t.Fatalf("Sweep called %d times for a real child, want 1", called)
	}
}
