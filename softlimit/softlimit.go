package softlimit

import (
	"context"
	"runtime/metrics"
	"time"

	"github.com/hsup/hsup/tick"
)

// Policy bounds the limit and says what counts as a busy or quiet GC.
type Policy struct {
	Floor, Ceiling int64  // bytes: the default limit, and the most it grows to
	Step           int64  // bytes moved per decision
	Busy           uint64 // GC cycles in a Period above which the limit rises
	Quiet          uint64 // GC cycles in a Period below which it falls
	Period         time.Duration
}

// Default is hsup's policy: 7 MiB, up to 32 MiB, a MiB at a time; more
// than 30 cycles a minute (about 0.03 CPU-seconds at hsup's heap size)
// is busy, fewer than 4 is quiet. At the floor, idle with /metrics
// scraped every 15 s, the GC runs about 8 times a minute (README, "Memory
// at steady state").
var Default = Policy{Floor: 7 << 20, Ceiling: 32 << 20, Step: 1 << 20, Busy: 30, Quiet: 4, Period: time.Minute}

// Next is the limit to set after a Period at limit that saw gcs cycles.
func Next(p Policy, limit int64, gcs uint64) int64 {
	switch {
	case gcs > p.Busy:
		return min(limit+p.Step, max(p.Ceiling, limit))
	case gcs < p.Quiet && limit > p.Floor:
		return max(limit-p.Step, p.Floor)
	default:
		return limit
	}
}

// Runtime is the process's memory limit and GC cycle count; tests give
// their own.
type Runtime struct {
	Cycles func() uint64
	Set    func(limit int64)
}

// Live is the real runtime: /gc/cycles/total, read without stopping the
// world, and debug.SetMemoryLimit.
func Live(set func(int64) int64) Runtime {
	sample := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	return Runtime{
		Cycles: func() uint64 {
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return 0
			}
			return sample[0].Value.Uint64()
		},
		Set: func(limit int64) { set(limit) },
	}
}

// Run sets p.Floor, then applies Next once a Period (on whole Periods of
// the wall clock, package tick) until ctx is done.
// changed is called with each new limit and the cycles that led to it.
func Run(ctx context.Context, p Policy, rt Runtime, changed func(from, to int64, gcs uint64)) error {
	limit := p.Floor
	rt.Set(limit)
	last := rt.Cycles()
	t := time.NewTimer(tick.Next(time.Now(), p.Period)) // on the minute, with hsup's other loops
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		t.Reset(tick.Next(time.Now(), p.Period))
		now := rt.Cycles()
		gcs := now - last
		last = now
		if next := Next(p, limit, gcs); next != limit {
			rt.Set(next)
			changed(limit, next, gcs)
			limit = next
		}
	}
}
