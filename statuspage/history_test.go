package statuspage

import (
	"slices"
	"sync"
	"testing"
	"time"
)

func TestRing(t *testing.T) {
	r := newRing[int](3)
	if _, ok := r.last(); ok || len(r.slice()) != 0 {
		t.Fatal("a new ring is not empty")
	}
	for i := 1; i <= 5; i++ {
		r.push(i)
	}
	if got := r.slice(); len(got) != 3 || got[0] != 3 || got[2] != 5 {
		t.Errorf("after 5 pushes into 3: %v, want [3 4 5]", got)
	}
	if l, _ := r.last(); *l != 5 {
		t.Errorf("last %d, want 5", *l)
	}
}

func TestSeriesBuckets(t *testing.T) {
	s := newSeries()
	var cut time.Time
	s.add(at(1), 3, false, cut)
	s.add(at(4), 7, true, cut)
	s.add(at(9), 5, false, cut) // same 10 s bucket
	s.add(at(12), 1, false, cut)
	s.add(at(8), 9, false, cut) // a clock step back: into the latest bucket
	got := s.r.slice()
	if len(got) != 2 {
		t.Fatalf("%d buckets, want 2: %+v", len(got), got)
	}
	want0 := Bucket{Start: at(0), At: at(9), Max: 7, Last: 5, N: 3, Failed: 1}
	want1 := Bucket{Start: at(10), At: at(12), Max: 9, Last: 9, N: 2}
	if got[0] != want0 || got[1] != want1 {
		t.Errorf("buckets %+v, want %+v and %+v", got, want0, want1)
	}
	s.add(at(21), 8, false, cut)
	cut = at(25) // a restart: the next sample starts a bucket of its own
	s.add(at(26), 2, false, cut)
	s.add(at(27), 4, false, cut)
	got = s.r.slice()
	if len(got) != 4 || got[2] != (Bucket{Start: at(20), At: at(21), Max: 8, Last: 8, N: 1}) ||
		got[3] != (Bucket{Start: at(20), At: at(27), Max: 4, Last: 4, N: 2}) {
		t.Errorf("after a restart at 25s: %+v, want the sample at 21s apart from those at 26s and 27s", got[2:])
	}
	for i := range BucketCap + 5 {
		s.add(at(30+10*i), 1, false, cut)
	}
	if n := s.r.len(); n != BucketCap {
		t.Errorf("%d buckets kept, want the bound %d", n, BucketCap)
	}
}

func TestHistoryRecordCountsRestartsPerHour(t *testing.T) {
	h := NewHistory()
	h.Record(Entry{At: t0.Add(5 * time.Minute), Kind: KindDegraded, Reason: "health"})
	h.Record(Entry{At: t0.Add(5 * time.Minute), Kind: KindRestart, Reason: "health"})
	h.Record(Entry{At: t0.Add(50 * time.Minute), Kind: KindRestart, Reason: "exit"})
	h.Record(Entry{At: t0.Add(70 * time.Minute), Kind: KindRestart, Reason: "health"})
	s := h.snapshot()
	if len(s.entries) != 4 {
		t.Errorf("%d entries, want 4", len(s.entries))
	}
	if len(s.hours) != 2 || s.hours[0].N != 2 || s.hours[1].N != 1 || !s.hours[1].Start.Equal(t0.Add(time.Hour)) {
		t.Errorf("hours %+v, want 2 restarts at 12:00 and 1 at 13:00", s.hours)
	}
	// The snapshot is a copy: later restarts in the same hour leave it be.
	h.Record(Entry{At: t0.Add(75 * time.Minute), Kind: KindRestart, Reason: "health"})
	if s.hours[1].N != 1 || s.hours[1].Reasons[0].N != 1 {
		t.Errorf("snapshot changed by a later Record: %+v", s.hours[1])
	}
	for i := range EntryCap + 10 {
		h.Record(Entry{At: t0.Add(2*time.Hour + time.Duration(i)*time.Second), Kind: KindRestart, Reason: "exit"})
	}
	s = h.snapshot()
	if len(s.entries) != EntryCap {
		t.Errorf("%d entries kept, want the bound %d", len(s.entries), EntryCap)
	}
	if last := s.hours[len(s.hours)-1]; last.N != EntryCap+10 {
		t.Errorf("restarts at 14:00 counted %d, want %d: the hourly counts are exact past the entries' bound", last.N, EntryCap+10)
	}
}

func TestHistoryProbeKindsBounded(t *testing.T) {
	h := NewHistory()
	for _, k := range []string{"cheap", "deep", "a", "b", "c", "d"} {
		h.Probe(k, at(1), time.Millisecond, false)
	}
	if n := len(h.snapshot().probes); n != maxKinds {
		t.Errorf("%d probe series, want the bound %d", n, maxKinds)
	}
}

// TestHistoryConcurrent: the loop's writes and the handler's snapshots
// run at once (the race detector judges).
func TestHistoryConcurrent(t *testing.T) {
	h := NewHistory()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 2000 {
			h.Record(Entry{At: at(i), Kind: KindRestart, Reason: "health"})
			h.Probe("cheap", at(i), time.Millisecond, i%7 == 0)
			h.FDs(at(i), i, 4096)
		}
	})
	for range 200 {
		_ = h.snapshot()
	}
	wg.Wait()
	if s := h.snapshot(); s.limit != 4096 || len(s.fds) == 0 {
		t.Errorf("after the writes: limit %d, %d FD buckets", s.limit, len(s.fds))
	}
}

// A ring keeps the latest size values, oldest first, in storage that
// grows with what was pushed and never past size.
func TestRingGrowsThenWraps(t *testing.T) {
	for _, size := range []int{1, 3, 8, 25, 512} {
		r := newRing[int](size)
		if _, ok := r.last(); ok || len(r.slice()) != 0 {
			t.Fatalf("size %d: empty ring has values", size)
		}
		for v := 1; v <= 3*size+1; v++ {
			r.push(v)
			want := make([]int, 0, size)
			for w := max(1, v-size+1); w <= v; w++ {
				want = append(want, w)
			}
			last, ok := r.last()
			if got := r.slice(); !slices.Equal(got, want) || !ok || *last != v || r.len() != len(want) || cap(r.buf) > size {
				t.Fatalf("size %d after %d pushes: %v (last %v, storage %d), want %v", size, v, got, *last, cap(r.buf), want)
			}
		}
	}
}
