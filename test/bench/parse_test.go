package main

import (
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{name: "empty", in: nil, want: 0},
		{name: "one", in: []float64{7}, want: 7},
		{name: "odd unsorted", in: []float64{9, 1, 5}, want: 5},
		{name: "even", in: []float64{4, 1, 3, 2}, want: 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestProbeCount(t *testing.T) {
	const scrape = `# HELP hsup_health_probes_total Health probes sent to the child.
# TYPE hsup_health_probes_total counter
hsup_health_probes_total{probe="cheap",result="ok"} 1234
hsup_health_probes_total{probe="cheap",result="timeout"} 2
hsup_health_probes_total{probe="deep",result="ok"} 50
hsup_health_probe_duration_seconds_count{probe="cheap"} 1236
`
	tests := []struct {
		name    string
		probe   string
		want    float64
		wantErr bool
	}{
		{name: "cheap sums results", probe: "cheap", want: 1236},
		{name: "deep", probe: "deep", want: 50},
		{name: "absent", probe: "other", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := probeCount(scrape, tt.probe)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("probeCount(%q) = %v, %v; want %v, error %v", tt.probe, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestPSDuration(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr bool
	}{
		{name: "macOS minutes", in: "0:01.25", want: 1250 * time.Millisecond},
		{name: "linux hours", in: "01:02:03", want: time.Hour + 2*time.Minute + 3*time.Second},
		{name: "days", in: "2-00:00:01", want: 48*time.Hour + time.Second},
		{name: "garbage", in: "x:y", wantErr: true},
		{name: "too many fields", in: "1:2:3:4", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := psDuration(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("psDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
