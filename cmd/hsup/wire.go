package main

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hsup/hsup/diagnose"
	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/metrics"
	"github.com/hsup/hsup/supervise"
	"github.com/hsup/hsup/systemd"
)

// wiring is the supervisor's config with the parts cmd/hsup keeps hold of.
type wiring struct {
	cfg      supervise.Config
	tail     *diagnose.Tail
	notifier *systemd.Notifier
}

// tailSize is how much of the child's recent output every bundle keeps.
const tailSize = 256 << 10

// wire builds the monitors, the capturer and the observers from settings.
func wire(s settings, log *zap.Logger, m *metrics.Metrics, nofile uint64) wiring {
	w := wiring{tail: diagnose.NewTail(tailSize), notifier: systemd.NewNotifier(log)}
	w.cfg = supervise.Config{
		Restart: s.restart, Backoff: s.backoff, StopSignal: s.stopSignal, StopGrace: s.stopGrace,
		Log: log, DaemonizeWindow: s.health.StartupGrace,
	}
	var snapshot func() any
	if s.health.URL != "" {
		mon := healthcheck.NewMonitor(s.health, log, nil, probeObserver(m))
		w.cfg.Health = mon
		snapshot = func() any { return mon.Snapshot() }
	}
	starts := &childStarts{}
	capt, captureTimeout := capturer(s, log, m, w.tail, snapshot)
	var captureFD func(ctx context.Context, pid int, reason string) // nil: no bundles
	if capt != nil {
		w.cfg.Capture, w.cfg.CaptureTimeout = capt, captureTimeout
		captureFD = func(ctx context.Context, pid int, reason string) {
			_, _ = capt.Capture(ctx, pid, reason, starts.of(pid))
		}
	}
	warn := s.fdWarn
	if warn == 0 {
		warn = -1 // --fd-warn=0 is off; diagnose reads 0 as its default
	}
	w.cfg.Watchers = []supervise.Monitor{&diagnose.Pressure{
		Warn: warn, Restart: s.fdRestart, Interval: fdInterval(s), Limit: nofile, Log: log, OnCount: m.FDs,
		Capture: captureFD,
	}}
	w.cfg.Observe = observer(m, w.notifier, starts)
	return w
}

// capturer builds the diagnostics capturer. A directory that is unusable at
// start-up is one warning and no capturer: restarts must not wait on, or
// warn again about, bundles that cannot be written.
func capturer(s settings, log *zap.Logger, m *metrics.Metrics, tail *diagnose.Tail, snapshot func() any) (*diagnose.Capturer, time.Duration) {
	capt := diagnose.New(diagnose.Config{
		Dir: diagDir(s.diagDir), Keep: s.diagKeep, Timeout: s.diagTimeout,
		DumpSignal: s.dumpSignal, DumpWait: s.dumpWait, DumpURL: s.dumpURL,
		Tail: tail, Health: snapshot, Log: log, OnBundle: m.Bundle,
	})
	if err := capt.Check(); err != nil {
		log.Warn("diagnostics directory is not usable: restarts proceed without bundles until hsup is "+
			"restarted with a writable --diag-dir", zap.Error(err))
		return nil, 0
	}
	return capt, s.diagTimeout + s.dumpWait + 5*time.Second
}

// fdInterval counts FDs once per health interval (5s when probing is off).
func fdInterval(s settings) time.Duration {
	if s.health.URL != "" {
		return s.health.Interval
	}
	return 5 * time.Second
}

func diagDir(flag string) string {
	if flag != "" {
		return flag
	}
	home, _ := os.UserHomeDir()
	return diagnose.DefaultDir(runtime.GOOS, os.Getenv, home)
}

func probeObserver(m *metrics.Metrics) func(healthcheck.ProbeEvent) {
	return func(e healthcheck.ProbeEvent) {
		m.Probe(string(e.Kind), string(e.Outcome.Result), e.Outcome.Duration)
		if e.HasHeartbeat {
			m.Heartbeat(e.HeartbeatValue, e.HeartbeatAdvancedAt)
		}
	}
}

// childStarts remembers when the current child started, for bundles the FD
// pressure watcher captures outside the supervisor's loop.
type childStarts struct {
	mu  sync.Mutex
	pid int
	at  time.Time
}

func (c *childStarts) set(pid int, at time.Time) {
	c.mu.Lock()
	c.pid, c.at = pid, at
	c.mu.Unlock()
}

func (c *childStarts) of(pid int) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pid == c.pid {
		return c.at
	}
	return time.Time{}
}

// observer turns the supervisor's state changes into metrics and sd_notify
// messages. It runs on the supervisor's loop goroutine.
func observer(m *metrics.Metrics, n *systemd.Notifier, starts *childStarts) func(supervise.Event) {
	ready, stopping := false, false
	return func(e supervise.Event) {
		if e.Exited {
			m.ChildExited(e.ExitCode)
		}
		m.State(e.State.String(), e.Pid)
		if e.State == supervise.Starting && !e.Exited {
			m.ChildStarted(e.Pid, e.At)
			starts.set(e.Pid, e.At)
		}
		m.Backoff(e.Backoff)
		if e.State == supervise.Backoff {
			m.Restart(e.Reason)
		}
		_ = n.Status(statusLine(e))
		if e.State == supervise.Running && !ready {
			ready = true
			_ = n.Ready()
		}
		if e.Shutdown && !stopping {
			stopping = true
			_ = n.Stopping()
		}
	}
}

func statusLine(e supervise.Event) string {
	line := "child " + e.State.String()
	if e.Pid != 0 {
		line += " pid " + strconv.Itoa(e.Pid)
	}
	if e.Reason != "" {
		line += " (" + e.Reason + ")"
	}
	return line
}
