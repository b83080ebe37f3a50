package healthcheck

import (
	"fmt"
	"time"
)

// hsup's own pause. A SIGSTOP, a `docker pause` (the cgroup freezer) or
// a starved CPU stops hsup while the clocks run on; a system sleep stops
// everything, and Go's monotonic clock with it (CLOCK_MONOTONIC on Linux,
// the uptime clock on macOS), while the wall clock runs on. Either way
// hsup saw nothing for a while, and whatever it measured across that
// stretch (a heartbeat that "stayed" put, a probe that "timed out") is
// about hsup, not the child. The watcher keeps a timer armed at all
// times, at most pauseTick ahead, and compares every turn with it.

// pauseTick is the longest the health watcher sleeps between turns, so a
// pause is noticed (and measured) within about a second of waking.
const pauseTick = time.Second

// pauseBound is how late a turn may come before hsup counts itself as
// paused: twice the longest sleep of the loop, and never under 2 s (a
// GC pause or a busy machine delays a timer by milliseconds, not seconds).
func pauseBound(every time.Duration) time.Duration { return max(2*time.Second, 2*every) }

// Pause is a stretch of time in which hsup did not run, or did not see
// time pass.
type Pause struct {
	For time.Duration // how long, about (see pauseOf)
	// Stopped: a timer fired late on the monotonic clock. This catches
	// SIGSTOP/SIGCONT, `docker pause` and a CPU starved for seconds: the
	// monotonic clock ran on while hsup did not.
	Stopped bool
	// Slept: the wall clock moved ahead of the monotonic clock. This
	// catches a system sleep (suspend), which the monotonic clock does not
	// count, so no timer looks late; a forward step of the wall clock
	// (NTP, settimeofday) looks the same and is taken as one too, which
	// costs no more than counting afresh once.
	Slept bool
}

// String is the pause's length as the log says it: whole seconds.
func (p Pause) String() string { return p.For.Round(time.Second).String() }

// Message is the log line for a pause the watcher acts on.
func (p Pause) Message() string {
	return fmt.Sprintf("hsup was paused for %s; not counting that against the child", p)
}

// pauseOf is the pure detector. For one turn of a loop whose timer was
// armed at some moment and due later, it takes:
//
//	waited: monotonic time from arming the timer to handling the turn
//	late:   monotonic time from when the timer was due to handling the turn
//	        (<= 0 when the turn came on time or early, as a result may)
//	wall:   wall-clock time from arming to handling
//
// and reports whether hsup was paused, for how long and how it knows.
// A stop lasted about waited (an upper bound: it includes the part of the
// wait before the stop, which is short because the loop turns often); a
// sleep lasted wall - waited. When both fired, the pause is all of wall.
func pauseOf(waited, late, wall, bound time.Duration) (Pause, bool) {
	stopped := late > bound
	slept := wall-waited > bound
	switch {
	case stopped && slept:
		return Pause{For: wall, Stopped: true, Slept: true}, true
	case stopped:
		return Pause{For: waited, Stopped: true}, true
	case slept:
		return Pause{For: wall - waited, Slept: true}, true
	}
	return Pause{}, false
}

// lateTurn applies pauseOf to readings of time.Now: armed and due for the
// timer, now for the turn. Each carries a monotonic and a wall reading;
// Sub uses the monotonic ones, Round(0) strips them to compare walls.
func lateTurn(armed, due, now time.Time, bound time.Duration) (Pause, bool) {
	return pauseOf(now.Sub(armed), now.Sub(due), now.Round(0).Sub(armed.Round(0)), bound)
}
