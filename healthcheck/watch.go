package healthcheck

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/hsup/hsup/tick"
)

// watcher is Watch's single-goroutine state: it owns the Policy.
type watcher struct {
	m         *Monitor
	pid       int
	log       *zap.Logger
	policy    *Policy
	send      func(Report)
	reported  bool
	last      map[Kind]Result
	timerC    <-chan time.Time
	timerStop func() bool
	armedAt   time.Time // when the timer was last armed: the watcher's last turn
	due       time.Time // when it fires; a turn far later than this is hsup's pause
	// paused is the stretch of hsup's last pause, from the turn before it
	// to the turn that noticed it: a probe in flight across it that
	// failed is not counted.
	paused struct{ from, to time.Time }
}

// run feeds results and deadline ticks to the policy until ctx is done
// (zero Verdict) or the verdict is degraded (returned, not yet reported).
// Every turn first checks whether hsup itself was paused since the last.
func (w *watcher) run(ctx context.Context, results <-chan probeResult) Verdict {
	defer w.stopTimer()
	w.arm()
	for {
		var v Verdict
		select {
		case <-ctx.Done():
			return Verdict{}
		case r := <-results:
			v = w.observe(r, w.turn())
			if v.Status != StatusDegraded { // a degraded verdict's report carries the facts
				w.send(w.report(Verdict{Status: StatusStarting}))
			}
		case <-w.timerC:
			v = w.policy.Tick(w.turn())
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

// turn reads the clock for one turn of the loop and, when the turn comes
// far later than the timer was due (or the wall clock jumped ahead of the
// monotonic one), starts the policy's counts over: hsup was paused, and
// nothing it saw across the pause is the child's doing.
func (w *watcher) turn() time.Time {
	now := w.m.clock.Now()
	p, ok := lateTurn(w.armedAt, w.due, now, pauseBound(pauseTick))
	if !ok {
		w.demand()
		return now
	}
	w.policy.Resume(now, p.For)
	w.paused.from, w.paused.to = w.armedAt, now
	w.log.Warn(p.Message(), zap.Duration("paused", p.For), zap.Bool("stopped", p.Stopped), zap.Bool("slept", p.Slept))
	w.demand()
	return now
}

// demand hands the policy the latest demand facts about the heartbeat's
// last advance, when something provides them.
func (w *watcher) demand() {
	if w.m.Demand != nil {
		w.policy.SetDemand(w.m.Demand(w.pid, w.policy.Heartbeat().AdvancedAt))
	}
}

func (w *watcher) observe(r probeResult, now time.Time) Verdict {
	var v Verdict
	if w.acrossPause(r.outcome) {
		w.log.Info("a probe in flight across hsup's pause failed; not counting it",
			zap.String("probe", string(r.kind)), zap.String("result", string(r.outcome.Result)),
			zap.Duration("duration", r.outcome.Duration))
		v = w.policy.Tick(now)
	} else {
		v = w.policy.Observe(r.kind, r.outcome, now)
		w.logChange(r, v.Status)
	}
	w.m.record(r.kind, r.outcome, w.policy.Heartbeat())
	if w.m.onProbe != nil {
		o := r.outcome
		o.Reply = nil // only the Monitor keeps replies: a consumer that keeps events must not keep bodies
		w.m.onProbe(ProbeEvent{Kind: r.kind, Outcome: o})
	}
	return v
}

// acrossPause: o failed, and its probe was running at some point of
// hsup's last pause, so the failure may be the pause's (a timeout that
// expired while hsup was stopped). An ok answer counts as ever.
func (w *watcher) acrossPause(o Outcome) bool {
	if o.Result == OK || w.paused.to.IsZero() {
		return false
	}
	return o.At.Before(w.paused.to) && o.At.Add(o.Duration).After(w.paused.from)
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

// arm points the timer pauseTick ahead, or at the policy's next deadline
// when that is sooner: the watcher turns at least every pauseTick, so a
// turn that comes far later than due is hsup's own pause.
func (w *watcher) arm() {
	w.stopTimer()
	w.demand() // the turn may have moved the heartbeat: the deadline is about the new advance
	now := w.m.clock.Now()
	due := now.Add(tick.Next(now, pauseTick)) // on the second, with hsup's other loops
	if at, ok := w.policy.Deadline(); ok && at.Before(due) {
		due = at
	}
	if due.Before(now) {
		due = now
	}
	w.armedAt, w.due = now, due
	w.timerC, w.timerStop = w.m.clock.NewTimer(due.Sub(now))
}

func (w *watcher) stopTimer() {
	if w.timerStop != nil {
		w.timerStop()
		w.timerC, w.timerStop = nil, nil
	}
}
