package control

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestTrendAdd(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	at := func(m int) FDSample { return FDSample{At: t0.Add(time.Duration(m) * time.Minute), Open: m} }
	cases := []struct {
		name   string
		have   []FDSample
		add    FDSample
		oldest int // minute of the first sample kept
		n      int
	}{
		{name: "first", add: at(0), oldest: 0, n: 1},
		{name: "within the hour", have: []FDSample{at(0), at(1)}, add: at(2), oldest: 0, n: 3},
		{name: "older than the hour is forgotten", have: []FDSample{at(0), at(1), at(59)}, add: at(61), oldest: 1, n: 3},
		{name: "a gap forgets everything before it", have: []FDSample{at(0), at(1)}, add: at(200), oldest: 200, n: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := &trend{every: time.Minute, span: time.Hour, samples: append([]FDSample(nil), c.have...)}
			tr.add(c.add)
			if len(tr.samples) != c.n || tr.samples[0].Open != c.oldest {
				t.Errorf("samples %v, want %d from minute %d", tr.samples, c.n, c.oldest)
			}
		})
	}
}

// TestTrendKeepsAnHour: one sample a minute, never more than an hour's
// (61 samples: both ends of the hour), oldest first; none while the count
// is not known.
func TestTrendKeepsAnHour(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		tr := &trend{every: time.Minute, span: time.Hour, sample: func() (int, bool) {
			n++
			return n, n != 3 // the third reading is not known
		}}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { tr.run(ctx); close(done) }()
		time.Sleep(90*time.Minute + time.Second)
		synctest.Wait()
		cancel()
		<-done
		s := tr.copy()
		if len(s) != 61 {
			t.Fatalf("%d samples after 90 minutes, want 61", len(s))
		}
		if s[len(s)-1].Open != 91 || s[0].Open != 31 {
			t.Errorf("samples from %d to %d, want 31 to 91", s[0].Open, s[len(s)-1].Open)
		}
		if d := s[len(s)-1].At.Sub(s[0].At); d != time.Hour {
			t.Errorf("samples span %v, want 1h", d)
		}
	})
}
