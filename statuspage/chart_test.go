package statuspage

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func TestPathD(t *testing.T) {
	// 100 s across 100 units, values 0..10 across 50 units: x = seconds,
	// y = 50 - 5*v.
	f := frame{From: at(0), To: at(100), W: 100, H: 50, YMax: 10}
	tests := []struct {
		name   string
		pts    []point
		gap    time.Duration
		breaks []time.Time
		want   string
	}{
		{name: "no points", want: ""},
		{name: "lone point is a short stroke", pts: []point{{at(50), 5}}, gap: time.Minute, want: "M50.0,25.0h3"},
		{name: "line", pts: []point{{at(0), 0}, {at(10), 10}, {at(20), 4}}, gap: time.Minute,
			want: "M0.0,50.0L10.0,0.0L20.0,30.0"},
		{name: "outside the frame left out", pts: []point{{at(-5), 1}, {at(10), 2}, {at(20), 2}, {at(101), 3}}, gap: time.Minute,
			want: "M10.0,40.0L20.0,40.0"},
		{name: "above the axis clamped to the top", pts: []point{{at(0), 20}, {at(10), -1}}, gap: time.Minute,
			want: "M0.0,0.0L10.0,50.0"},
		{name: "gap starts a subpath", pts: []point{{at(0), 1}, {at(10), 1}, {at(80), 2}, {at(90), 2}}, gap: 30 * time.Second,
			want: "M0.0,45.0L10.0,45.0 M80.0,40.0L90.0,40.0"},
		{name: "gap leaves a lone point visible", pts: []point{{at(0), 1}, {at(80), 2}, {at(90), 2}}, gap: 30 * time.Second,
			want: "M0.0,45.0h3 M80.0,40.0L90.0,40.0"},
		{name: "restart breaks the line", pts: []point{{at(0), 1}, {at(10), 1}, {at(20), 2}}, gap: time.Minute,
			breaks: []time.Time{at(15)}, want: "M0.0,45.0L10.0,45.0 M20.0,40.0h3"},
		{name: "restart at a point's time belongs before it", pts: []point{{at(0), 1}, {at(10), 1}, {at(20), 2}}, gap: time.Minute,
			breaks: []time.Time{at(10)}, want: "M0.0,45.0h3 M10.0,45.0L20.0,40.0"},
		{name: "restarts outside the points change nothing", pts: []point{{at(10), 1}, {at(20), 1}}, gap: time.Minute,
			breaks: []time.Time{at(5), at(30)}, want: "M10.0,45.0L20.0,45.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pathD(tt.pts, f, tt.gap, tt.breaks); got != tt.want {
				t.Errorf("pathD = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFrameDegenerate(t *testing.T) {
	f := frame{From: at(10), To: at(10), W: 100, H: 50}
	if x, y := f.x(at(10)), f.y(3); x != 100 || y != 50 {
		t.Errorf("empty span and zero YMax: x %v y %v, want 100 (right edge) and 50 (bottom)", x, y)
	}
}

func TestNiceCeil(t *testing.T) {
	tests := []struct {
		name string
		v    float64
		want float64
	}{
		{name: "zero", v: 0, want: 1},
		{name: "negative", v: -3, want: 1},
		{name: "exact power", v: 100, want: 100},
		{name: "just above a power", v: 101, want: 200},
		{name: "two", v: 1.7, want: 2},
		{name: "five", v: 330, want: 500},
		{name: "ten", v: 5.5, want: 10},
		{name: "small", v: 0.0031, want: 0.005},
		{name: "FD count", v: 3310, want: 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := niceCeil(tt.v); got != tt.want {
				t.Errorf("niceCeil(%v) = %v, want %v", tt.v, got, tt.want)
			}
		})
	}
}

func TestPoints(t *testing.T) {
	bs := []Bucket{{Start: at(0), At: at(7), Max: 0.25, Last: 0.1, N: 3}, {Start: at(10), At: at(12), Max: 0.5, N: 1}}
	got := points(bs, 1000)
	want := []point{{at(7), 250}, {at(12), 500}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("points = %v, want %v (each at its latest sample, its max scaled)", got, want)
	}
}

func TestFDAxis(t *testing.T) {
	tests := []struct {
		name  string
		peak  float64
		limit uint64
		want  float64
	}{
		{name: "far below the limit: the peak sets it", peak: 300, limit: 4096, want: 500},
		{name: "past half the limit: the limit is in view", peak: 300, limit: 512, want: 1000},
		{name: "limit unknown", peak: 40, want: 50},
		{name: "unlimited", peak: 40, limit: math.MaxUint64, want: 50},
		{name: "nothing yet", want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fdAxis(tt.peak, tt.limit); got != tt.want {
				t.Errorf("fdAxis(%v, %d) = %v, want %v", tt.peak, tt.limit, got, tt.want)
			}
		})
	}
}
