package healthcheck

import (
	"testing"
	"time"
)

func TestPauseOf(t *testing.T) {
	const s, ms = time.Second, time.Millisecond
	tests := []struct {
		name   string
		waited time.Duration // monotonic, arming to the turn
		late   time.Duration // monotonic, due to the turn
		wall   time.Duration // wall clock, arming to the turn
		want   Pause
		wantOK bool
	}{
		{name: "on time", waited: s, late: 0, wall: s},
		{name: "a result before the timer is due", waited: 200 * ms, late: -800 * ms, wall: 200 * ms},
		{name: "a few milliseconds late (GC, scheduling)", waited: s + 30*ms, late: 30 * ms, wall: s + 30*ms},
		{name: "late by exactly the bound", waited: 3 * s, late: 2 * s, wall: 3 * s},
		{name: "SIGSTOP for 31s", waited: 31*s + 200*ms, late: 30*s + 400*ms, wall: 31*s + 200*ms,
			want: Pause{For: 31*s + 200*ms, Stopped: true}, wantOK: true},
		{name: "SIGSTOP noticed by a result, not the timer", waited: 5*s + 100*ms, late: 4*s + 100*ms, wall: 5*s + 100*ms,
			want: Pause{For: 5*s + 100*ms, Stopped: true}, wantOK: true},
		// Linux suspend and macOS sleep: the monotonic clock stood, so the
		// timer is on time, but the wall clock ran on.
		{name: "system sleep for an hour", waited: 300 * ms, late: 0, wall: time.Hour + 300*ms,
			want: Pause{For: time.Hour, Slept: true}, wantOK: true},
		{name: "wall clock a second ahead (NTP slew territory)", waited: s, late: 0, wall: 2 * s},
		{name: "wall clock stepped back", waited: s, late: 0, wall: -time.Hour},
		{name: "stopped, then the system slept", waited: 20 * s, late: 19 * s, wall: 20*s + time.Hour,
			want: Pause{For: 20*s + time.Hour, Stopped: true, Slept: true}, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pauseOf(tt.waited, tt.late, tt.wall, 2*s)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("pauseOf(%v, %v, %v, 2s) = %+v, %v; want %+v, %v", tt.waited, tt.late, tt.wall, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPauseBound(t *testing.T) {
	tests := []struct {
		every, want time.Duration
	}{
		{every: 0, want: 2 * time.Second},
		{every: 200 * time.Millisecond, want: 2 * time.Second},
		{every: time.Second, want: 2 * time.Second},
		{every: 5 * time.Second, want: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.every.String(), func(t *testing.T) {
			if got := pauseBound(tt.every); got != tt.want {
				t.Errorf("pauseBound(%v) = %v, want %v", tt.every, got, tt.want)
			}
		})
	}
}

// TestLateTurn feeds the detector real readings of time.Now, which carry
// a monotonic clock; arithmetic on them moves both clocks together, as a
// SIGSTOP does. (A sleep, where only the wall clock moves, cannot be built
// from time.Time values; TestPauseOf covers it.)
func TestLateTurn(t *testing.T) {
	armed := time.Now()
	due := armed.Add(pauseTick)
	bound := pauseBound(pauseTick)
	if p, ok := lateTurn(armed, due, due.Add(10*time.Millisecond), bound); ok {
		t.Errorf("a turn 10ms late is a pause: %+v", p)
	}
	if p, ok := lateTurn(armed, due, armed.Add(300*time.Millisecond), bound); ok {
		t.Errorf("a turn before due is a pause: %+v", p)
	}
	p, ok := lateTurn(armed, due, armed.Add(31*time.Second), bound)
	if !ok || !p.Stopped || p.Slept || p.For != 31*time.Second {
		t.Errorf("lateTurn 31s after arming = %+v, %v; want stopped for 31s", p, ok)
	}
	if got, want := p.Message(), "hsup was paused for 31s; not counting that against the child"; got != want {
		t.Errorf("Message() = %q, want %q", got, want)
	}
}

func TestPauseString(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{d: 31*time.Second + 200*time.Millisecond, want: "31s"},
		{d: 4*time.Second + 600*time.Millisecond, want: "5s"},
		{d: time.Hour + 2*time.Second, want: "1h0m2s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := (Pause{For: tt.d}).String(); got != tt.want {
				t.Errorf("Pause{For: %v}.String() = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}
