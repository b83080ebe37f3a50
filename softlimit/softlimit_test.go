package softlimit

import (
	"context"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

const mib = 1 << 20

func TestNext(t *testing.T) {
	p := Policy{Floor: 7 * mib, Ceiling: 10 * mib, Step: mib, Busy: 30, Quiet: 4}
	tests := []struct {
		name  string
		limit int64
		gcs   uint64
		want  int64
	}{
		{name: "at the floor, GC cheap: stays", limit: 7 * mib, gcs: 9, want: 7 * mib},
		{name: "at the floor, GC quiet: never below", limit: 7 * mib, gcs: 0, want: 7 * mib},
		{name: "GC busy: a step up", limit: 7 * mib, gcs: 31, want: 8 * mib},
		{name: "exactly Busy is not busy", limit: 7 * mib, gcs: 30, want: 7 * mib},
		{name: "busy at the ceiling: stays", limit: 10 * mib, gcs: 500, want: 10 * mib},
		{name: "above the floor, GC quiet: a step down", limit: 9 * mib, gcs: 3, want: 8 * mib},
		{name: "exactly Quiet is not quiet", limit: 9 * mib, gcs: 4, want: 9 * mib},
		{name: "above the floor, GC moderate: stays", limit: 9 * mib, gcs: 12, want: 9 * mib},
		{name: "a step down stops at the floor", limit: 7*mib + mib/2, gcs: 0, want: 7 * mib},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Next(p, tt.limit, tt.gcs); got != tt.want {
				t.Errorf("Next(limit %d MiB, %d GCs) = %.1f MiB, want %.1f MiB", tt.limit/mib, tt.gcs, float64(got)/mib, float64(tt.want)/mib)
			}
		})
	}
}

// Run sets the floor at once, then moves the limit once a period by the
// cycles counted in it, and reports each move.
func TestRunFollowsTheGC(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := Policy{Floor: 7 * mib, Ceiling: 32 * mib, Step: mib, Busy: 30, Quiet: 4, Period: time.Minute}
		var cycles atomic.Uint64
		var limit atomic.Int64
		var moves atomic.Int64
		rt := Runtime{Cycles: cycles.Load, Set: limit.Store}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() {
			done <- Run(ctx, p, rt, func(from, to int64, gcs uint64) { moves.Add(1) })
		}()
		synctest.Wait()
		if got := limit.Load(); got != 7*mib {
			t.Fatalf("limit at the start %d, want the floor", got)
		}
		// Per minute: the cycles the GC ran, and the limit after it.
		for i, step := range []struct {
			gcs  uint64
			want int64
		}{{9, 7 * mib}, {200, 8 * mib}, {120, 9 * mib}, {10, 9 * mib}, {2, 8 * mib}, {0, 7 * mib}, {0, 7 * mib}} {
			cycles.Add(step.gcs)
			time.Sleep(p.Period)
			synctest.Wait()
			if got := limit.Load(); got != step.want {
				t.Fatalf("minute %d (%d GCs): limit %.0f MiB, want %.0f MiB", i+1, step.gcs, float64(got)/mib, float64(step.want)/mib)
			}
		}
		if got := moves.Load(); got != 4 {
			t.Errorf("%d moves reported, want 4", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

// Live reads a cycle count that a GC advances, and sets the process's
// limit.
func TestLive(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	rt := Live(debug.SetMemoryLimit)
	c := rt.Cycles()
	debug.FreeOSMemory() // a full GC
	if got := rt.Cycles(); got <= c {
		t.Errorf("cycles %d after a GC, %d before", got, c)
	}
	rt.Set(123 << 20)
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Errorf("limit %d after Set(123 MiB)", got)
	}
}
