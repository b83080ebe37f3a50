package fdlimit

import "testing"

func TestClamp(t *testing.T) {
	tests := []struct {
		name             string
		want, hard, cap_ uint64
		soft             uint64
		clamped          bool
	}{
		{name: "under hard", want: 4096, hard: 1 << 20, soft: 4096},
		{name: "equal hard", want: 4096, hard: 4096, soft: 4096},
		{name: "hard lower", want: 4096, hard: 1024, soft: 1024, clamped: true},
		{name: "mac cap lower", want: 65536, hard: ^uint64(0), cap_: 24576, soft: 24576, clamped: true},
		{name: "cap above hard", want: 65536, hard: 10240, cap_: 24576, soft: 10240, clamped: true},
		{name: "cap above want", want: 4096, hard: ^uint64(0), cap_: 24576, soft: 4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			soft, reason := Clamp(tt.want, tt.hard, tt.cap_)
			if soft != tt.soft {
				t.Fatalf("Clamp(%d, %d, %d) = %d (%s), want %d", tt.want, tt.hard, tt.cap_, soft, reason, tt.soft)
			}
			tg := Target{Want: tt.want, Soft: soft}
			if tg.Clamped() != tt.clamped {
				t.Fatalf("Clamped() = %v, want %v (%s)", tg.Clamped(), tt.clamped, reason)
			}
		})
	}
}

func TestPlanReadsHardLimit(t *testing.T) {
	tg, err := Plan(1)
	if err != nil {
		t.Fatal(err)
	}
	if tg.Hard == 0 || tg.Soft != 1 {
		t.Fatalf("Plan(1) = %+v, want soft 1 under a non-zero hard limit", tg)
	}
}

func TestRaised(t *testing.T) {
	tests := []struct {
		name        string
		cur, target uint64
		want        bool
	}{
		{name: "at the target", cur: 4096, target: 4096, want: true},
		{name: "one below: the Go runtime's raise", cur: 4095, target: 4096, want: true},
		{name: "the start-up limit", cur: 1024, target: 4096, want: false},
		{name: "above a macOS cap", cur: 30000, target: 24576, want: true},
		{name: "unlimited hard, runtime raise", cur: ^uint64(0) - 1, target: ^uint64(0), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := raised(tt.cur, tt.target); got != tt.want {
				t.Fatalf("raised(%d, %d) = %v, want %v", tt.cur, tt.target, got, tt.want)
			}
		})
	}
}
