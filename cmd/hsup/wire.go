package main

import (
	"context"
	"os"
	"runtime"
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
	facts    *bundleFacts // what each bundle learns from hsup (bundlefacts.go)

	accept *acceptMonitor // the accept-queue watch (acceptq.go), nil when off; Last() is its last sample
}

// tailSize is how much of the child's recent output every bundle keeps.
const tailSize = 256 << 10

// wire builds the monitors and the capturer from settings. m receives the
// counters the monitors and the capturer produce; the supervisor's events
// are subscribed to by subscribe, once the supervisor exists.
func wire(s settings, log *zap.Logger, m *metrics.Metrics, nofile nofilePlan, onProbe ...func(healthcheck.ProbeEvent)) wiring {
	w := wiring{tail: diagnose.NewTail(tailSize), notifier: systemd.NewNotifier(log), facts: newBundleFacts(s)}
	w.cfg = supervise.Config{
		Restart: s.restart, Backoff: s.backoff, CrashLoop: s.crashLoop, StopSignal: s.stopSignal, StopGrace: s.stopGrace,
		Log: log, DaemonizeWindow: s.health.StartupGrace,
	}
	if w.accept = newAcceptMonitor(s, log); w.accept != nil {
		onProbe = append(onProbe[:len(onProbe):len(onProbe)], w.accept.probe) // "a probe answered at T" facts
	}
	var snapshot func() any
	if s.health.URL != "" {
		mon := healthcheck.NewMonitor(s.health, log, probeCounter(m, onProbe...))
		mon.Owner = ownerCheck(s.health.URL, log)
		if w.accept != nil {
			mon.Demand = w.accept.demand // the heartbeat rule's demand facts
		}
		w.cfg.Health = healthMonitor{mon}
		snapshot = func() any { return mon.Snapshot() }
		w.facts.probes = mon.Evidence // the last probes, for bundles
	}
	if capt := capturer(s, log, m, w.tail, snapshot, nofile, w.facts, acceptQueue(w.accept)); capt != nil {
		w.cfg.Capture, w.cfg.CaptureTimeout = capt, s.diagTimeout+s.dumpWait+5*time.Second
	}
	warn := s.fdWarn
	if warn == 0 {
		warn = -1 // --fd-warn=0 is off; diagnose reads 0 as its default
	}
	w.cfg.Watchers = []supervise.Monitor{pressureMonitor{&diagnose.Pressure{
		Warn: warn, Restart: s.fdRestart, Interval: fdInterval(s), Limit: nofile.watch, LimitSource: nofile.source, Log: log,
		SoftLimit: childSoftLimit,
	}}, treeMonitor{interval: treeInterval}}
	if w.accept != nil {
		w.cfg.Watchers = append(w.cfg.Watchers, w.accept)
	}
	w.cfg.Sweep = sweep
	return w
}

// capturer builds the diagnostics capturer. A directory that is unusable at
// start-up is one warning and no capturer: restarts must not wait on, or
// warn again about, bundles that cannot be written.
func capturer(s settings, log *zap.Logger, m *metrics.Metrics, tail *diagnose.Tail, snapshot func() any, nofile nofilePlan,
	facts *bundleFacts, queue func() (int, int, bool)) *diagnose.Capturer {
	capt := diagnose.New(diagnose.Config{
		Dir: diagDir(s.diagDir), Keep: s.diagKeep, Timeout: s.diagTimeout,
		DumpSignal: s.dumpSignal, DumpWait: s.dumpWait, DumpURL: s.dumpURL,
		Tail: tail, Health: snapshot, Log: log, OnBundle: m.Bundle, Nofile: nofile.watch, NofileSource: nofile.source,
		Service: s.name, Version: versionText(), Facts: facts.facts,
		Ledger:      ledgerRef, // the ledger's line for the bundle (ledger.go); "" until a ledger is open
		AcceptQueue: queue,     // the accept-queue watch's last sample, for the bundle's wedge; nil when the watch is off
	})
	if err := within(volumeWait, "checking the diagnostics directory", capt.Check); err != nil {
		log.Warn("diagnostics directory is not usable: restarts proceed without bundles until hsup is "+
			"restarted with a writable --diag-dir", zap.Error(err))
		return nil
	}
	return capt
}

// acceptQueue is the bundles' view of the accept-queue watch: its last
// sample's queue length and backlog; nil when the watch is off.
func acceptQueue(a *acceptMonitor) func() (int, int, bool) {
	if a == nil {
		return nil
	}
	return func() (int, int, bool) {
		s, ok := a.Last()
		return s.Queue, s.Backlog, ok
	}
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

// probeCounter counts every probe in the metrics and passes it on to the
// other consumers (the status page's latency chart), which must not block.
func probeCounter(m *metrics.Metrics, also ...func(healthcheck.ProbeEvent)) func(healthcheck.ProbeEvent) {
	return func(e healthcheck.ProbeEvent) {
		m.Probe(string(e.Kind), string(e.Outcome.Result), e.Outcome.Duration)
		for _, f := range also {
			f(e)
		}
	}
}

// healthMonitor adapts the health monitor's reports to the supervisor's.
type healthMonitor struct{ mon *healthcheck.Monitor }

func (h healthMonitor) Watch(ctx context.Context, pid int, report func(supervise.Report)) {
	h.mon.Watch(ctx, pid, func(r healthcheck.Report) {
		hb := r.Heartbeat
		rep := supervise.Report{Reason: r.Reason, Detail: r.Detail, NoBundle: r.Reason == healthcheck.ReasonPortHeld, Probe: &supervise.ProbeFacts{
			Failures: r.Failures, HeartbeatKnown: hb.Enabled && hb.Known, HeartbeatValue: hb.Value, HeartbeatAdvancedAt: hb.AdvancedAt}}
		switch r.Verdict {
		case healthcheck.StatusHealthy:
			rep.Verdict = supervise.VerdictHealthy
		case healthcheck.StatusDegraded:
			rep.Verdict = supervise.VerdictDegraded
		}
		report(rep)
	})
}

func (h healthMonitor) Answering(ctx context.Context) (bool, string) { return h.mon.Answering(ctx) }

// pressureMonitor adapts FD-pressure readings to the supervisor's reports.
type pressureMonitor struct{ p *diagnose.Pressure }

func (p pressureMonitor) Watch(ctx context.Context, pid int, report func(supervise.Report)) {
	p.p.Watch(ctx, pid, func(r diagnose.Reading) {
		rep := supervise.Report{FDs: &supervise.FDFacts{Open: r.Open, Limit: r.Limit}, Reason: diagnose.PressureReason, Detail: r.Detail}
		switch r.Action {
		case diagnose.ActWarn:
			rep.Verdict = supervise.VerdictWarn
		case diagnose.ActRestart:
			rep.Verdict = supervise.VerdictDegraded
		}
		report(rep)
	})
}
