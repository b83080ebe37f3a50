package statuspage

import (
	"math"
	"testing"
	"time"
)

func TestFmtDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{d: -time.Second, want: "0s"},
		{d: 0, want: "0s"},
		{d: 850 * time.Millisecond, want: "850ms"},
		{d: 12340 * time.Millisecond, want: "12.3s"},
		{d: 59999 * time.Millisecond, want: "59.9s"},
		{d: 3*time.Minute + 12*time.Second, want: "3m12s"},
		{d: 2*time.Hour + 3*time.Minute + 59*time.Second, want: "2h03m"},
		{d: 75 * time.Hour, want: "3d03h"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := fmtDuration(tt.d); got != tt.want {
				t.Errorf("fmtDuration(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestFmtFDs(t *testing.T) {
	tests := []struct {
		name  string
		open  int
		limit uint64
		want  string
	}{
		{name: "with limit", open: 312, limit: 4096, want: "312 of 4096 (7.6%)"},
		{name: "unknown limit", open: 12, want: "12 (limit unknown)"},
		{name: "no limit", open: 12, limit: math.MaxUint64, want: "12 (no limit)"},
		{name: "at the limit", open: 256, limit: 256, want: "256 of 256 (100.0%)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmtFDs(tt.open, tt.limit); got != tt.want {
				t.Errorf("fmtFDs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFmtSmall(t *testing.T) {
	utc := time.UTC
	tests := []struct {
		name, got, want string
	}{
		{name: "millis", got: fmtMillis(250), want: "250 ms"},
		{name: "seconds", got: fmtMillis(1500), want: "1.5 s"},
		{name: "count", got: fmtCount(2000), want: "2000"},
		{name: "unlimited", got: fmtLimit(math.MaxUint64), want: "unlimited"},
		{name: "limit", got: fmtLimit(1024), want: "1024"},
		{name: "since zero", got: fmtSince(time.Time{}, t0), want: ""},
		{name: "since", got: fmtSince(t0, t0.Add(90*time.Second)), want: "1m30s"},
		{name: "time zero", got: fmtTime(time.Time{}, utc), want: ""},
		{name: "time", got: fmtTime(t0, utc), want: "2026-03-01 12:00:00 UTC"},
		{name: "clock", got: fmtClock(t0.Add(61*time.Second), utc), want: "12:01:01"},
		{name: "when today", got: fmtWhen(t0, t0.Add(11*time.Hour), utc), want: "12:00:00"},
		{name: "when yesterday", got: fmtWhen(t0, t0.Add(12*time.Hour), utc), want: "Mar 1 12:00:00"},
		{name: "when in another zone", got: fmtWhen(t0, t0.Add(11*time.Hour), time.FixedZone("X", 2*3600)), want: "Mar 1 14:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
