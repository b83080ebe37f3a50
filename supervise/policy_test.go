package supervise

import (
	"syscall"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := BackoffPolicy{Min: time.Second, Max: 60 * time.Second, Reset: time.Minute}
	tests := []struct {
		name    string
		attempt int
		u       float64
		want    time.Duration
	}{
		{name: "first restart waits the minimum", attempt: 0, u: 0.99, want: time.Second},
		{name: "ceiling doubles, low draw", attempt: 1, u: 0, want: time.Second},
		{name: "ceiling doubles, high draw", attempt: 1, u: 0.5, want: 1500 * time.Millisecond},
		{name: "third restart, top of range", attempt: 2, u: 1, want: 4 * time.Second},
		{name: "capped at max", attempt: 10, u: 1, want: 60 * time.Second},
		{name: "huge attempt does not overflow", attempt: 500, u: 1, want: 60 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Delay(tt.attempt, tt.u); got != tt.want {
				t.Fatalf("Delay(%d, %v) = %v, want %v", tt.attempt, tt.u, got, tt.want)
			}
		})
	}
}

func TestBackoffJitterAndZeroMin(t *testing.T) {
	b := BackoffPolicy{Min: 100 * time.Millisecond, Max: 10 * time.Second}
	seen := map[time.Duration]bool{}
	for _, u := range []float64{0, 0.25, 0.5, 0.75} {
		seen[b.Delay(5, u)] = true
	}
	if len(seen) != 4 {
		t.Fatalf("different draws gave %d distinct delays, want 4 (jitter)", len(seen))
	}
	zero := BackoffPolicy{Min: 0, Max: 10 * time.Millisecond}
	if got := zero.Delay(3, 0.9); got != 0 {
		t.Fatalf("Min 0 keeps the ceiling at 0: got %v", got)
	}
}

func TestBackoffReset(t *testing.T) {
	b := BackoffPolicy{Min: time.Second, Max: time.Minute, Reset: time.Minute}
	if got := b.NextAttempt(6, 59*time.Second); got != 6 {
		t.Fatalf("short run keeps attempt: got %d", got)
	}
	if got := b.NextAttempt(6, time.Minute); got != 0 {
		t.Fatalf("healthy for Reset starts over: got %d", got)
	}
}

func TestShouldRestart(t *testing.T) {
	tests := []struct {
		name   string
		policy RestartPolicy
		reason string
		code   int
		want   bool
	}{
		{name: "always after clean exit", policy: RestartAlways, reason: ReasonExit, code: 0, want: true},
		{name: "on-failure after clean exit", policy: RestartOnFailure, reason: ReasonExit, code: 0, want: false},
		{name: "on-failure after crash", policy: RestartOnFailure, reason: ReasonExit, code: 137, want: true},
		{name: "on-failure after health stop exit 0", policy: RestartOnFailure, reason: "health", code: 0, want: true},
		{name: "never after crash", policy: RestartNever, reason: ReasonExit, code: 1, want: false},
		{name: "never after health stop", policy: RestartNever, reason: "heartbeat", code: 143, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shouldRestart(tt.policy, tt.reason, tt.code); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		ws   syscall.WaitStatus
		want int
	}{
		{name: "exit 0", ws: 0, want: 0},
		{name: "exit 3", ws: 3 << 8, want: 3},
		{name: "killed by SIGKILL", ws: syscall.WaitStatus(syscall.SIGKILL), want: 137},
		{name: "killed by SIGTERM", ws: syscall.WaitStatus(syscall.SIGTERM), want: 143},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.ws); got != tt.want {
				t.Fatalf("exitCode = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseRestartPolicy(t *testing.T) {
	for _, s := range []string{"always", "on-failure", "never"} {
		p, err := ParseRestartPolicy(s)
		if err != nil || p.String() != s {
			t.Fatalf("ParseRestartPolicy(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := ParseRestartPolicy("sometimes"); err == nil {
		t.Fatal("sometimes accepted")
	}
}

func TestBackoffNext(t *testing.T) {
	b := BackoffPolicy{Min: time.Second, Max: time.Minute, Reset: time.Minute}
	tests := []struct {
		name        string
		attempt     int
		healthyFor  time.Duration
		wantDelay   time.Duration
		wantAttempt int
	}{
		{name: "first restart", attempt: 0, wantDelay: time.Second, wantAttempt: 1},
		{name: "third in a row grows", attempt: 2, wantDelay: 2500 * time.Millisecond, wantAttempt: 3},
		{name: "a short healthy run keeps growing", attempt: 2, healthyFor: 59 * time.Second, wantDelay: 2500 * time.Millisecond, wantAttempt: 3},
		{name: "a healthy minute starts over", attempt: 6, healthyFor: time.Minute, wantDelay: time.Second, wantAttempt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, a := b.Next(tt.attempt, tt.healthyFor, 0.5)
			if d != tt.wantDelay || a != tt.wantAttempt {
				t.Fatalf("Next(%d, %v) = %v, %d; want %v, %d", tt.attempt, tt.healthyFor, d, a, tt.wantDelay, tt.wantAttempt)
			}
		})
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		name     string
		shutdown bool
		code     int
		want     int
	}{
		{name: "systemctl stop, child died of SIGTERM: clean", shutdown: true, code: 143, want: 0},
		{name: "told to stop, child handled it and exited 0", shutdown: true, code: 0, want: 0},
		{name: "told to stop, child exited with its own status", shutdown: true, code: 42, want: 42},
		{name: "told to stop, child ignored it and was killed", shutdown: true, code: 137, want: 137},
		{name: "not told to stop: the child's SIGTERM death is its status", code: 143, want: 143},
		{name: "a crash", code: 3, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitStatus(tt.shutdown, tt.code, syscall.SIGTERM); got != tt.want {
				t.Fatalf("exitStatus(%v, %d) = %d, want %d", tt.shutdown, tt.code, got, tt.want)
			}
		})
	}
}

func TestWait(t *testing.T) {
	for _, c := range []struct{ delay, ran, want time.Duration }{
		{time.Second, 0, time.Second},
		{time.Second, 400 * time.Millisecond, 600 * time.Millisecond},
		{time.Second, time.Second, 0},
		{time.Second, time.Hour, 0},
		{0, 0, 0},
		{time.Second, -time.Second, time.Second}, // a clock that went back: never more than the delay
	} {
		if got := Wait(c.delay, c.ran); got != c.want {
			t.Errorf("Wait(%v, ran %v) = %v, want %v", c.delay, c.ran, got, c.want)
		}
	}
}
