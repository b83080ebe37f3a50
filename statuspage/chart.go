package statuspage

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// point is one value of a chart's line at a time.
type point struct {
	at time.Time
	v  float64
}

// frame maps times and values onto a chart's plot area: x grows with time
// from From (0) to To (W), y with the value from 0 (H, the bottom) to YMax
// (0, the top).
type frame struct {
	From, To time.Time
	W, H     float64
	YMax     float64
}

// x is t's abscissa, clamped to the plot.
func (f frame) x(t time.Time) float64 {
	span := f.To.Sub(f.From)
	if span <= 0 {
		return f.W
	}
	return clamp(f.W*float64(t.Sub(f.From))/float64(span), 0, f.W)
}

// y is v's ordinate, clamped to the plot.
func (f frame) y(v float64) float64 {
	if f.YMax <= 0 {
		return f.H
	}
	return clamp(f.H-f.H*v/f.YMax, 0, f.H)
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// pathD is the SVG path data ("M x,y L x,y ...") of pts in f. Points
// before f.From or after f.To are left out. Two points are not joined (a
// new subpath starts) when they are more than gap apart, so a pause in
// sampling shows as a gap rather than a slope, or when one of breaks (the
// restarts, in order) lies after the first and not after the second: the
// line of one child does not run into the next one's. A lone point
// becomes a short flat stroke, so it is visible. "" when no point is in
// the frame.
func pathD(pts []point, f frame, gap time.Duration, breaks []time.Time) string {
	var b strings.Builder
	var prev time.Time
	run := 0 // points in the current subpath
	for _, p := range pts {
		if p.at.Before(f.From) || p.at.After(f.To) {
			continue
		}
		if run > 0 && (p.at.Sub(prev) > gap || between(breaks, prev, p.at)) {
			closeLone(&b, run)
			run = 0
		}
		cmd := "L"
		if run == 0 {
			cmd = "M"
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(cmd + coord(f.x(p.at)) + "," + coord(f.y(p.v)))
		prev, run = p.at, run+1
	}
	closeLone(&b, run)
	return b.String()
}

// between reports whether a time of the sorted ts is in (a, b].
func between(ts []time.Time, a, b time.Time) bool {
	i, _ := slices.BinarySearchFunc(ts, a, func(t, a time.Time) int {
		if t.After(a) {
			return 1
		}
		return -1
	})
	return i < len(ts) && !ts[i].After(b)
}

// closeLone gives a one-point subpath a 3-unit horizontal stroke.
func closeLone(b *strings.Builder, run int) {
	if run == 1 {
		b.WriteString("h3")
	}
}

// coord formats a coordinate with one decimal: enough for a screen,
// short in the page.
func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// niceCeil is the smallest of 1, 2 or 5 times a power of ten that is at
// least v: an axis maximum a reader can take in at a glance. 1 for v <= 0.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	exp := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*exp >= v*(1-1e-12) {
			return m * exp
		}
	}
	return 10 * exp
}

// maxOf is the largest value of pts within f's time range, 0 when none.
func maxOf(pts []point, f frame) float64 {
	m := 0.0
	for _, p := range pts {
		if !p.at.Before(f.From) && !p.at.After(f.To) {
			m = math.Max(m, p.v)
		}
	}
	return m
}

// points turns buckets into chart points: each at its latest sample,
// valued by its largest sample times scale.
func points(bs []Bucket, scale float64) []point {
	out := make([]point, 0, len(bs))
	for _, b := range bs {
		out = append(out, point{at: b.At, v: b.Max * scale})
	}
	return out
}
