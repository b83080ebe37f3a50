package acceptq

import (
	"testing"
	"time"
)

func TestDemandSince(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	sample := func(s float64, q int) Sample { return Sample{At: at(s), Queue: q, Addr: addr} }
	cases := []struct {
		name     string
		samples  []Sample
		accepted []float64 // seconds
		since    float64
		want     float64 // seconds; -1: none
	}{
		{name: "nothing seen", since: 0, want: -1},
		{name: "idle: only empty samples", samples: []Sample{sample(1, 0), sample(2, 0), sample(3, 0)}, since: 0, want: -1},
		{name: "waiting after since", samples: []Sample{sample(1, 0), sample(2, 3), sample(2.1, 3)}, since: 0, want: 2},
		{name: "waiting before since only", samples: []Sample{sample(1, 2), sample(2, 0), sample(3, 0)}, since: 2.5, want: -1},
		{name: "a stretch going on at since counts from since",
			samples: []Sample{sample(1, 2), sample(2, 2), sample(3, 2), sample(4, 0)}, since: 2.5, want: 2.5},
		{name: "an accepted connection after since", samples: []Sample{sample(1, 0), sample(2, 0)}, accepted: []float64{1.5},
			since: 1, want: 1.5},
		{name: "the earliest of a stretch and an accept",
			samples: []Sample{sample(1, 0), sample(3, 1), sample(3.1, 0)}, accepted: []float64{2}, since: 1, want: 2},
		{name: "an accept before since does not count", accepted: []float64{1}, since: 2, want: -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d Demand
			for _, s := range c.samples {
				d.Sampled(s)
			}
			for _, a := range c.accepted {
				d.Accepted(at(a))
			}
			got, ok := d.Since(at(c.since))
			switch {
			case c.want < 0 && ok:
				t.Errorf("Since = %v, want none", got.Sub(t0))
			case c.want >= 0 && (!ok || !got.Equal(at(c.want))):
				t.Errorf("Since = %v, %v; want %vs", got.Sub(t0), ok, c.want)
			}
		})
	}
}

// An accept recorded while a stretch is going on must not end the
// stretch: the next waiting sample still extends it.
func TestDemandAcceptDuringStretch(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var d Demand
	d.Sampled(Sample{At: t0, Queue: 1})
	d.Accepted(t0.Add(time.Second))
	d.Sampled(Sample{At: t0.Add(5 * time.Second), Queue: 1})
	if got, ok := d.Since(t0.Add(4 * time.Second)); !ok || !got.Equal(t0.Add(4*time.Second)) {
		t.Errorf("Since = %v, %v; want the stretch going on at 4s", got.Sub(t0), ok)
	}
}

// Demand keeps at most maxSpans spans: memory stays bounded however long
// the child lives, and a question about the recent past is still answered.
func TestDemandIsBounded(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var d Demand
	for i := range 10 * maxSpans {
		d.Accepted(t0.Add(time.Duration(i) * time.Second))
	}
	if len(d.spans) != maxSpans {
		t.Errorf("%d spans kept, want %d", len(d.spans), maxSpans)
	}
	last := t0.Add(time.Duration(10*maxSpans-1) * time.Second)
	if got, ok := d.Since(last); !ok || !got.Equal(last) {
		t.Errorf("Since(last) = %v, %v", got, ok)
	}
}
