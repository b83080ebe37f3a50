package hsuptest

import (
	"testing"
	"time"
)

func TestSlowFor(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{in: "", want: 200 * time.Millisecond},
		{in: "50", want: 50 * time.Millisecond},
		{in: "50ms", want: 200 * time.Millisecond},
		{in: "-3", want: 200 * time.Millisecond},
		{in: "999999", want: maxSlow},
	}
	for _, tt := range tests {
		if got := slowFor(tt.in); got != tt.want {
			t.Errorf("slowFor(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
