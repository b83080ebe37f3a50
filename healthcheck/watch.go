package healthcheck

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// watcher is Watch's single-goroutine state: it owns the Policy.
type watcher struct {
	m        *Monitor
	pid      int
	log      *zap.Logger
	policy   *Policy
	send     func(Report)
	reported bool
	last     map[Kind]Result
	timer    *time.Timer
	timerC   <-chan time.Time
}

// run feeds results and deadline ticks to the policy until ctx is done
// (zero Verdict) or the verdict is degraded (returned, not yet reported).
func (w *watcher) run(ctx context.Context, results <-chan probeResult) Verdict {
	defer w.stopTimer()
	w.arm()
	for {
		var v Verdict
		select {
		case <-ctx.Done():
			return Verdict{}
		case r := <-results:
			v = w.observe(r)
			if v.Status != StatusDegraded { // a degraded verdict's report carries the facts
				w.send(w.report(Verdict{Status: StatusStarting}))
			}
		case <-w.timerC:
			v = w.policy.Tick(time.Now())
		}
		if v.Status == StatusHealthy && !w.reported {
			v = w.checkOwner(ctx, v)
		}
		if w.handle(v) {
			return v
		}
		w.arm()
	}
}

func (w *watcher) observe(r probeResult) Verdict {
	now := time.Now()
	v := w.policy.Observe(r.kind, r.outcome, now)
	hb := w.policy.Heartbeat()
	w.m.record(r.kind, r.outcome, hb)
	w.logChange(r, v.Status)
	if w.m.onProbe != nil {
		w.m.onProbe(ProbeEvent{Kind: r.kind, Outcome: r.outcome})
	}
	return v
}

// handle logs and reports a verdict; true when Watch must stop.
func (w *watcher) handle(v Verdict) bool {
	if v.Warning != "" {
		w.log.Warn(v.Warning, zap.String("field", w.m.cfg.HeartbeatField))
	}
	switch v.Status {
	case StatusHealthy:
		if !w.reported {
			w.reported = true
			w.log.Info("child is healthy")
			w.send(w.report(v))
		}
	case StatusDegraded:
		w.log.Warn("child is degraded", zap.String("reason", v.Reason), zap.String("detail", v.Detail))
		return true
	}
	return false
}

// ownerTimeout bounds the owner check (a /proc scan, or lsof on macOS).
const ownerTimeout = 5 * time.Second

// checkOwner turns the first healthy verdict into port_held when the
// listener that answered is not the child's: "running" means this child
// answers, not that something does.
func (w *watcher) checkOwner(ctx context.Context, v Verdict) Verdict {
	if w.m.Owner == nil {
		return v
	}
	ctx, cancel := context.WithTimeout(ctx, ownerTimeout)
	defer cancel()
	owned, holder, err := w.m.Owner(ctx, w.pid)
	switch {
	case err != nil:
		w.log.Warn("cannot tell whether the child owns the listener that answers; taking the answer as the child's",
			zap.Error(err))
		return v
	case owned:
		return v
	}
	if w.m.newHolder(holder) {
		w.log.Error("the health URL answers, but not from the child: another process holds the port "+
			"(an orphan of an earlier run, or another service); the child is not running, and the start counts as failed",
			zap.String("holder", holder))
	}
	return Verdict{Status: StatusDegraded, Reason: ReasonPortHeld, Detail: holder}
}

// report is the Report of verdict v with the policy's current facts.
func (w *watcher) report(v Verdict) Report {
	return Report{Verdict: v.Status, Reason: v.Reason, Detail: v.Detail,
		Failures: w.policy.Failures(), Heartbeat: w.policy.Heartbeat()}
}

// logChange writes one line when a probe kind's result class changes.
func (w *watcher) logChange(r probeResult, s Status) {
	if w.last[r.kind] == r.outcome.Result {
		return
	}
	w.last[r.kind] = r.outcome.Result
	fields := []zap.Field{zap.String("probe", string(r.kind)), zap.String("result", string(r.outcome.Result)),
		zap.Int("status", r.outcome.Status), zap.Duration("duration", r.outcome.Duration),
		zap.String("detail", r.outcome.Detail)}
	if r.outcome.Result != OK && s != StatusStarting {
		w.log.Warn("probe result changed", fields...)
		return
	}
	w.log.Info("probe result changed", fields...)
}

// arm points the timer at the policy's next deadline (or disables it).
func (w *watcher) arm() {
	w.stopTimer()
	at, ok := w.policy.Deadline()
	if !ok {
		return
	}
	w.timer = time.NewTimer(max(time.Until(at), 0))
	w.timerC = w.timer.C
}

func (w *watcher) stopTimer() {
	if w.timer != nil {
		w.timer.Stop()
		w.timer, w.timerC = nil, nil
	}
}
