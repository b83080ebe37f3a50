package tick

import (
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	base := time.Date(2026, 11, 29, 8, 0, 10, 0, time.UTC)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	for _, c := range []struct {
		now   time.Duration // after base
		every time.Duration
		want  time.Duration
	}{
		{0, time.Second, time.Second},                         // on a boundary: the next one
		{ms(300), time.Second, ms(700)},                       // the next boundary is far enough
		{ms(600), time.Second, ms(1400)},                      // too close: the one after
		{ms(499), time.Second, ms(501)},                       // just at half a period
		{ms(2), time.Second, ms(998)},                         // a loop that woke late keeps the beat
		{ms(300), 10 * time.Second, 10*time.Second - ms(300)}, // base is :10, a multiple of 10 s
		{ms(300), 0, 0},
	} {
		if got := Next(base.Add(c.now), c.every); got != c.want {
			t.Errorf("Next(base+%v, %v) = %v, want %v", c.now, c.every, got, c.want)
		}
		if c.every > 0 {
			if got := Next(base.Add(c.now), c.every); got < c.every/2 || got > c.every*3/2 {
				t.Errorf("Next(base+%v, %v) = %v: outside half to one and a half periods", c.now, c.every, got)
			}
		}
	}
}

// Loops that start at different moments wake on the same boundaries
// from their first turn on.
func TestNextAligns(t *testing.T) {
	base := time.Date(2026, 11, 29, 8, 0, 10, 0, time.UTC)
	for _, start := range []time.Duration{130 * time.Millisecond, 870 * time.Millisecond, 0} {
		at := base.Add(start)
		for turn := range 3 {
			at = at.Add(Next(at, time.Second))
			if at.Nanosecond() != 0 {
				t.Errorf("started at +%v: turn %d at %v, not a whole second", start, turn, at)
			}
		}
	}
}

func TestFloor(t *testing.T) {
	now := time.Now()                 // with a monotonic reading
	base := now.Truncate(time.Second) // a whole second, wall clock only
	for _, c := range []struct {
		at, want time.Duration // after base
	}{
		{5*time.Second + 300*time.Millisecond, 5 * time.Second},
		{5*time.Second + 999*time.Millisecond, 5 * time.Second},
		{5 * time.Second, 5 * time.Second},
	} {
		at := now.Add(c.at - now.Sub(base)) // monotonic reading kept
		got := Floor(at, time.Second)
		if !got.Round(0).Equal(base.Add(c.want)) || got.After(at) {
			t.Errorf("Floor(base+%v) = base+%v, want base+%v and never later", c.at, got.Sub(base), c.want)
		}
		if got.Sub(now) != c.want-now.Sub(base) { // the monotonic readings agree with the wall
			t.Errorf("Floor(base+%v): %v after now on the monotonic clock, want %v", c.at, got.Sub(now), c.want-now.Sub(base))
		}
	}
	if at := now.Add(time.Second); !Floor(at, 0).Equal(at) {
		t.Error("grain 0 must leave the time as it is")
	}
}
