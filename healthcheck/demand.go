package healthcheck

import (
	"fmt"
	"time"
)

// Demand is what hsup knows about connections to the child's accept loop,
// for the heartbeat rule: whether any came in (waited in the accept queue,
// or were accepted) since a moment. The heartbeat counts accepted
// connections, so a counter that stood still while nothing came in is
// idle, not stale; it is stale only once connections came in and it still
// did not move. The accept-queue watch provides it (Monitor.Demand); the
// zero Demand is "unknown", which leaves the rule as it was: any counter
// that stands still for the staleness limit is stale.
type Demand struct {
	Known bool      // the child's listening socket is watched: the fields below mean something
	Since time.Time // the moment asked about: the heartbeat's AdvancedAt
	Seen  bool      // connections came in at or after Since
	First time.Time // the first moment they did (with Seen)
}

// DemandFunc answers for the child with pid: whether connections came in
// at or after since. It is called on the health watcher's goroutine once a
// turn (at least every second), so it must return at once: it reads what
// the accept-queue watch already recorded.
type DemandFunc func(pid int, since time.Time) Demand

// staleFrom is the heartbeat rule's clock: when the counter's staleness
// started counting, which is when it last advanced. Without demand facts
// the clock always runs. With them it runs only once connections came in
// after that advance and the counter was read again after they did (so
// that it had the chance to move): false (idle: no clock runs) until
// then, and when the facts are about an earlier advance (the watcher asks
// again on its next turn, within a second).
func staleFrom(hb HeartbeatState, d Demand) (time.Time, bool) {
	if !d.Known {
		return hb.AdvancedAt, true
	}
	if !d.Seen || !d.Since.Equal(hb.AdvancedAt) || hb.ReadAt.Before(d.First) {
		return time.Time{}, false
	}
	return hb.AdvancedAt, true
}

// heartbeatVerdict is the heartbeat rule at now: degraded when the
// counter has stood still for the staleness limit counted from staleFrom.
func (p *Policy) heartbeatVerdict(now time.Time) (Verdict, bool) {
	if !p.hb.Enabled || !p.hb.Known {
		return Verdict{}, false
	}
	from, ok := staleFrom(p.hb, p.demand)
	if !ok {
		return Verdict{}, false
	}
	age := now.Sub(from)
	if age < p.cfg.HeartbeatStale {
		return Verdict{}, false
	}
	detail := fmt.Sprintf("%s stayed at %v for %s (limit %s) although the app answers",
		p.cfg.HeartbeatField, p.hb.Value, age.Round(time.Millisecond), p.cfg.HeartbeatStale)
	if p.demand.Known {
		detail = fmt.Sprintf("%s stayed at %v for %s while connections came in (limit %s), although the app answers",
			p.cfg.HeartbeatField, p.hb.Value, age.Round(time.Millisecond), p.cfg.HeartbeatStale)
	}
	return Verdict{Status: StatusDegraded, Reason: ReasonHeartbeat, Detail: detail}, true
}

// heartbeatDeadline is when the heartbeat rule can next fire, if no new
// fact arrives first.
func (p *Policy) heartbeatDeadline() (time.Time, bool) {
	if !p.hb.Enabled || !p.hb.Known {
		return time.Time{}, false
	}
	from, ok := staleFrom(p.hb, p.demand)
	if !ok {
		return time.Time{}, false
	}
	return from.Add(p.cfg.HeartbeatStale), true
}

// SetDemand gives the policy the latest demand facts for the heartbeat
// rule; the zero Demand (unknown) is the rule without them.
func (p *Policy) SetDemand(d Demand) { p.demand = d }
