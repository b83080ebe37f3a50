package acceptq

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const addr = "127.0.0.1:8787"

// series builds samples every step from t0 with the given queue lengths.
func series(t0 time.Time, step time.Duration, queues ...int) []Sample {
	out := make([]Sample, len(queues))
	for i, q := range queues {
		out[i] = Sample{At: t0.Add(time.Duration(i) * step), Queue: q, Backlog: 64, Addr: addr}
	}
	return out
}

func TestStallRule(t *testing.T) {
	t0 := time.Date(2025, 11, 29, 12, 0, 0, 0, time.UTC)
	const limit = 2 * time.Second
	fast := FastInterval
	// 25 fast samples: 2.4 s from the first to the last.
	stuck := []int{3, 3, 4, 4, 5, 6, 6, 7, 8, 8, 9, 10, 10, 11, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12}
	cases := []struct {
		name     string
		samples  []Sample
		answered time.Time
		limit    time.Duration
		want     bool
		wantFor  time.Duration // with want
	}{
		{name: "idle: the queue stays empty", samples: series(t0, time.Second, 0, 0, 0, 0, 0, 0), limit: limit},
		{name: "nothing sampled yet", limit: limit},
		{name: "draining under load: the queue never empties but shrinks now and then",
			samples: series(t0, fast, 40, 42, 44, 41, 45, 47, 47, 43, 46, 48, 44, 47, 49, 50, 46, 48, 51, 47, 49, 50, 52, 48, 50, 53, 49),
			limit:   limit},
		{name: "draining under load: it empties between bursts",
			samples: series(t0, fast, 5, 7, 9, 0, 4, 6, 8, 9, 0, 3, 5, 8, 9, 9, 0, 2, 4, 6, 8, 9, 9, 9, 0, 1, 2), limit: limit},
		{name: "stuck: it only grows, then stays full", samples: series(t0, fast, stuck...), limit: limit,
			want: true, wantFor: 2400 * time.Millisecond},
		{name: "stuck, just short of the limit", samples: series(t0, fast, stuck[:20]...), limit: limit},
		{name: "stuck at exactly the limit", samples: series(t0, fast, stuck[:21]...), limit: limit,
			want: true, wantFor: limit},
		{name: "stuck but a probe was answered in the window", samples: series(t0, fast, stuck...),
			answered: t0.Add(time.Second), limit: limit},
		{name: "stuck, and the last answer was before the queue filled", samples: series(t0, fast, stuck...),
			answered: t0.Add(-time.Second), limit: limit, want: true, wantFor: 2400 * time.Millisecond},
		{name: "stuck long after the last answer in the window: time counts from the answer",
			samples:  series(t0, fast, append(stuck, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12)...),
			answered: t0.Add(1500 * time.Millisecond), limit: limit, want: true, wantFor: 2100 * time.Millisecond},
		{name: "flapping: non-empty, empty, non-empty starts the window over",
			samples: series(t0, fast, append(append([]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 0),
				1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)...), limit: limit},
		{name: "off: limit 0", samples: series(t0, fast, stuck...), limit: 0},
		{name: "a gap in the samples (hsup paused) starts the window over",
			samples: append(series(t0, fast, 3, 3, 3), series(t0.Add(5*time.Second), fast, 3, 3, 3, 3, 3)...), limit: limit},
		{name: "slow samples see a stuck queue too", samples: series(t0, time.Second, 1, 2, 3), limit: limit,
			want: true, wantFor: 2 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, got := Judge(c.samples, c.answered, c.limit)
			if got != c.want {
				t.Fatalf("stalled = %v (%+v), want %v", got, st, c.want)
			}
			if !got {
				return
			}
			last := c.samples[len(c.samples)-1]
			if st.For != c.wantFor || st.Queue != last.Queue || st.Backlog != 64 || st.Addr != addr {
				t.Errorf("stall %+v, want for %v, queue %d, backlog 64, addr %s", st, c.wantFor, last.Queue, addr)
			}
		})
	}
}

func TestWindowStartsOverOnAnotherSocket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var w Window
	w = w.Next(Sample{At: t0, Queue: 3, Addr: addr})
	w = w.Next(Sample{At: t0.Add(3 * time.Second), Queue: 3, Addr: "[::1]:8787"})
	if _, ok := w.Stalled(time.Time{}, 2*time.Second); ok || !w.Start.Equal(t0.Add(3*time.Second)) {
		t.Errorf("window %+v: a sample of another socket must start it over", w)
	}
}

func TestInterval(t *testing.T) {
	for _, c := range []struct {
		queue int
		want  time.Duration
	}{{0, SlowInterval}, {1, FastInterval}, {64, FastInterval}} {
		if got := Interval(Sample{Queue: c.queue}); got != c.want {
			t.Errorf("Interval(queue %d) = %v, want %v", c.queue, got, c.want)
		}
	}
	if SlowInterval != time.Second || FastInterval != 100*time.Millisecond {
		t.Errorf("cadence %v/%v, want 1s while empty and 100ms while not", SlowInterval, FastInterval)
	}
}

func TestStallSentence(t *testing.T) {
	got := Stall{Queue: 12, Backlog: 64, Addr: addr, For: 2130 * time.Millisecond}.Sentence()
	want := "12 connections waited in the accept queue of 127.0.0.1:8787 for 2.1s (backlog 64) and no probe was answered"
	if got != want {
		t.Errorf("sentence\n got %q\nwant %q", got, want)
	}
	one := Stall{Queue: 1, Addr: addr, For: time.Second}.Sentence()
	if !strings.HasPrefix(one, "1 connection waited") || !strings.Contains(one, "(backlog unknown)") {
		t.Errorf("one connection, backlog unknown: %q", one)
	}
}

// A saturated queue whose length never moves, because clients reconnect
// as fast as the child accepts, still shows life where the samples name
// the waiting connections: one that waited is gone.
func TestWindowSeesTurnover(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * FastInterval) }
	var busy, stuck Window
	for i := range 30 {
		// busy: the same 8 slots, each sample one connection replaced by a new one
		m := []uint64{uint64(100 + i), 2, 3, 4, 5, 6, 7, 8}
		busy = busy.Next(Sample{At: at(i), Queue: 8, Addr: addr, Members: sortedCopy(m)})
		// stuck: the same 8 connections throughout
		stuck = stuck.Next(Sample{At: at(i), Queue: 8, Addr: addr, Members: []uint64{1, 2, 3, 4, 5, 6, 7, 8}})
	}
	if st, ok := busy.Stalled(time.Time{}, time.Second); ok {
		t.Errorf("busy queue with turnover blamed: %+v", st)
	}
	if _, ok := stuck.Stalled(time.Time{}, time.Second); !ok {
		t.Error("stuck queue with the same members not blamed")
	}
	// unknown members (macOS) fall back to the length alone
	var unknown Window
	for i := range 30 {
		unknown = unknown.Next(Sample{At: at(i), Queue: 8, Addr: addr})
	}
	if _, ok := unknown.Stalled(time.Time{}, time.Second); !ok {
		t.Error("without members a constant queue is stuck")
	}
}

func TestDeparted(t *testing.T) {
	for _, c := range []struct {
		before, after []uint64
		want          bool
	}{
		{nil, []uint64{1}, false},
		{[]uint64{1}, nil, false},
		{[]uint64{}, []uint64{1, 2}, false},
		{[]uint64{1, 2}, []uint64{1, 2, 3}, false},
		{[]uint64{1, 2}, []uint64{2, 3}, true},
		{[]uint64{1, 5}, []uint64{1, 2, 3}, true},
		{[]uint64{1}, []uint64{}, true},
	} {
		if got := departed(c.before, c.after); got != c.want {
			t.Errorf("departed(%v, %v) = %v, want %v", c.before, c.after, got, c.want)
		}
	}
}

func sortedCopy(m []uint64) []uint64 {
	out := append([]uint64(nil), m...)
	slices.Sort(out)
	return out
}

func TestWaited(t *testing.T) {
	t0 := time.Unix(1000, 0)
	if st, ok := (Window{}).Waited(time.Time{}); ok {
		t.Errorf("empty window: %+v", st)
	}
	w := Window{}.Next(Sample{At: t0, Queue: 2, Backlog: 64, Addr: addr})
	if st, ok := w.Waited(time.Time{}); !ok || st.For != 0 || st.Queue != 2 {
		t.Errorf("first waiting sample: %+v, %v", st, ok)
	}
	w = w.Next(Sample{At: t0.Add(1500 * time.Millisecond), Queue: 3, Backlog: 64, Addr: addr})
	if st, ok := w.Waited(t0.Add(time.Second)); !ok || st.For != 500*time.Millisecond || st.Queue != 3 {
		t.Errorf("after an answered probe: %+v, %v; want 500ms since the answer", st, ok)
	}
}

// A stretch that follows a sample with nothing waiting starts when its
// oldest connection came in, as the kernel tells it (Sample.Oldest), not
// when the watcher happened to look; never before that empty sample, and
// never across a gap or after a sign of life.
func TestStallCountsFromTheOldestArrival(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	waiting := func(ms, q, oldestMs int) Sample {
		return Sample{At: at(ms), Queue: q, Addr: addr, Oldest: time.Duration(oldestMs) * time.Millisecond}
	}
	empty := Sample{At: at(0), Addr: addr}
	const limit = 2 * time.Second
	cases := []struct {
		name     string
		samples  []Sample
		answered time.Time
		want     bool
		wantFor  time.Duration
	}{
		{name: "after an empty sample: from the oldest arrival",
			samples: []Sample{empty, waiting(1000, 1, 900), waiting(2100, 1, 2000)}, want: true, wantFor: 2000 * time.Millisecond},
		{name: "an age beyond the empty sample is cut at it",
			samples: []Sample{empty, waiting(1000, 1, 1500), waiting(2100, 1, 2600)}, want: true, wantFor: 2100 * time.Millisecond},
		{name: "the first sample ever: from the sample",
			samples: []Sample{waiting(1000, 1, 900), waiting(2100, 1, 2000)}},
		{name: "after a gap (hsup paused): from the sample",
			samples: []Sample{empty, waiting(5000, 1, 900), waiting(6100, 1, 2000)}},
		{name: "a shrink starts over at the sample",
			samples: []Sample{empty, waiting(1000, 2, 900), waiting(1100, 1, 950), waiting(2100, 1, 1950)}},
		{name: "a probe answered after the arrival: from the answer",
			samples: []Sample{empty, waiting(1000, 1, 900), waiting(2100, 1, 2000)}, answered: at(500)},
		{name: "backdated, but watched for less than half the limit: not yet",
			samples: []Sample{empty, waiting(1500, 1, 1400), waiting(2200, 1, 2100)}},
		{name: "backdated, and watched for half the limit",
			samples: []Sample{empty, waiting(1500, 1, 1400), waiting(2500, 1, 2400)}, want: true, wantFor: 2400 * time.Millisecond},
		{name: "no age known (macOS, /proc): from the sample",
			samples: []Sample{empty, waiting(1000, 1, 0), waiting(2100, 1, 0)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, got := Judge(c.samples, c.answered, limit)
			if got != c.want || (got && st.For != c.wantFor) {
				t.Errorf("stalled = %v %+v, want %v for %v", got, st, c.want, c.wantFor)
			}
		})
	}
}

// Due is when the rule will hold if nothing changes: the watcher samples
// then at the latest, so the verdict does not wait for its cadence.
func TestDue(t *testing.T) {
	t0 := time.Unix(1000, 0)
	w := Window{}.Next(Sample{At: t0, Addr: addr})
	if _, ok := w.Due(time.Time{}, time.Second); ok {
		t.Error("nothing waits: no due time")
	}
	w = w.Next(Sample{At: t0.Add(time.Second), Queue: 1, Addr: addr, Oldest: 400 * time.Millisecond})
	if due, ok := w.Due(time.Time{}, 2*time.Second); !ok || !due.Equal(t0.Add(2600*time.Millisecond)) {
		t.Errorf("due %v, %v; want 2.6s after t0 (arrival 0.6s + 2s)", due.Sub(t0), ok)
	}
	if due, _ := w.Due(t0.Add(1200*time.Millisecond), 2*time.Second); !due.Equal(t0.Add(3200 * time.Millisecond)) {
		t.Errorf("due %v after an answer at 1.2s; want 3.2s", due.Sub(t0))
	}
	late := Window{}.Next(Sample{At: t0, Addr: addr}).Next(Sample{At: t0.Add(1900 * time.Millisecond), Queue: 1, Addr: addr, Oldest: 1800 * time.Millisecond})
	if due, _ := late.Due(time.Time{}, 2*time.Second); !due.Equal(t0.Add(2900 * time.Millisecond)) {
		t.Errorf("due %v for a stretch first seen at 1.9s; want 2.9s (watched for half the limit)", due.Sub(t0))
	}
	if _, ok := w.Due(time.Time{}, 0); ok {
		t.Error("rule off: no due time")
	}
}
