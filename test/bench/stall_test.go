package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestStallPhase(t *testing.T) {
	tests := []struct {
		name string
		i, n int
		want time.Duration
	}{
		{name: "first run at once", i: 0, n: 5, want: 0},
		{name: "second of five", i: 1, n: 5, want: 1200 * time.Millisecond},
		{name: "last of five: within the interval", i: 4, n: 5, want: 4800 * time.Millisecond},
		{name: "last of six wraps into the interval", i: 5, n: 6, want: 0},
		{name: "wraps past n", i: 4, n: 4, want: 0},
		{name: "no runs", i: 0, n: 0, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stallPhase(tt.i, tt.n, defInterval); got != tt.want {
				t.Errorf("stallPhase(%d, %d) = %v, want %v", tt.i, tt.n, got, tt.want)
			}
		})
	}
}

func TestStallBound(t *testing.T) {
	tests := []struct {
		name       string
		mode       string
		watchOn    bool
		poll       time.Duration
		want       time.Duration
		wantTarget bool
	}{
		{name: "watch on, no client: interval + stall", mode: "noaccept", watchOn: true, want: 7 * time.Second, wantTarget: true},
		{name: "watch on, client: stall + 1 s", mode: "emfile", watchOn: true, poll: 500 * time.Millisecond, want: 3 * time.Second, wantTarget: true},
		{name: "watch off: probe budget", mode: "sigstop", want: 17 * time.Second},
		{name: "freeze: heartbeat budget whatever the watch", mode: "freeze", watchOn: true, poll: time.Second, want: 35 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, what, target := stallBound(tt.mode, tt.watchOn, tt.poll)
			if got != tt.want || target != tt.wantTarget || what == "" {
				t.Errorf("stallBound = %v, %q, %v; want %v, target %v", got, what, target, tt.want, tt.wantTarget)
			}
		})
	}
}

func TestStallVariants(t *testing.T) {
	vs := stallVariants(500 * time.Millisecond)
	var on, polled int
	for _, v := range vs {
		if v.watchOn() {
			on++
		}
		if v.poll > 0 {
			polled++
		}
	}
	if len(vs) != 4 || on != 2 || polled != 2 {
		t.Errorf("%d variants, %d with the watch on, %d polled; want 4, 2, 2", len(vs), on, polled)
	}
}

func TestPickStallModes(t *testing.T) {
	got, err := pickStallModes("sigstop, noaccept")
	if err != nil || len(got) != 2 || got[0].name != "sigstop" || got[0].sw != "" || got[1].sw != "noaccept" {
		t.Errorf("pickStallModes = %v, %v", got, err)
	}
	if _, err := pickStallModes("noaccept,hang"); err == nil || !strings.Contains(err.Error(), "hang") {
		t.Errorf("unknown mode: error %v, want one naming it", err)
	}
}

// TestStallTargets: a detection row is held to its bound by its slowest
// run; load and quiet rows by restarts and stalls, the quiet watch-on row
// also by CPU.
func TestStallTargets(t *testing.T) {
	on := stallVariants(500 * time.Millisecond)[0]
	row := newStallRow(on, stallMode{"noaccept", "noaccept"})
	row.add(stallSample{detect: 4 * time.Second, reason: "accept_stall", wedge: "blocked"})
	row.add(stallSample{detect: 7500 * time.Millisecond, reason: "accept_stall", wedge: "blocked"})
	off := newStallRow(stallVariants(0)[1], stallMode{"noaccept", "noaccept"})
	off.add(stallSample{detect: 16 * time.Second, reason: "health"})
	s := &StallReport{
		Detect: []StallRow{row, off},
		Load:   []LoadRow{{Name: "pool", Restarts: 0}, {Name: "demo", Stalls: 1}, {Name: "skipped", Skipped: "no"}},
		Quiet: &QuietReport{Seconds: 600, Rows: []QuietRow{
			{Name: rowQuietOn, CPUPerMin: 0.04}, {Name: rowQuietOff, Restarts: 1, CPUPerMin: 0.2},
		}},
	}
	got := map[string]bool{}
	for _, tg := range s.targets() {
		got[tg.What] = tg.Met
	}
	want := map[string]bool{
		"noaccept detected (watch on, client none) <= 7000 ms":    false, // 7500 ms
		"zero restarts under load: pool":                          true,
		"zero restarts under load: demo":                          false,
		"zero restarts idle: " + rowQuietOn:                       true,
		"zero restarts idle: " + rowQuietOff:                      false,
		"hsup CPU < 0.05 s per minute idle at defaults, watch on": true,
	}
	if len(got) != len(want) {
		t.Errorf("targets %v, want %v", got, want)
	}
	for what, met := range want {
		if g, ok := got[what]; !ok || g != met {
			t.Errorf("target %q: met %v (present %v), want %v", what, g, ok, met)
		}
	}
	if row.Median != 5750 || row.Max != 7500 {
		t.Errorf("median %v max %v, want 5750 7500", row.Median, row.Max)
	}
	s.Targets = s.targets()
	var b bytes.Buffer
	s.print(&b)
	for _, part := range []string{"| noaccept | on (defaults) | none | accept_stall | blocked | 5750 | 7500 | 4000, 7500 |", "| MISSED |"} {
		if !strings.Contains(b.String(), part) {
			t.Errorf("report lacks %q:\n%s", part, b.String())
		}
	}
}

func TestCountVerdicts(t *testing.T) {
	line := func(kv ...string) logLine {
		l := logLine{fields: map[string]any{}}
		for i := 0; i+1 < len(kv); i += 2 {
			l.fields[kv[i]] = kv[i+1]
		}
		return l
	}
	lines := []logLine{
		line("msg", "probe result changed", "result", "refused"), // starting up: not counted
		line("msg", "child running"),
		line("msg", "probe result changed", "result", "timeout"),
		line("msg", "probe result changed", "result", "ok"),
		line("msg", "accept queue stalled"),
		line("msg", "child capturing"),
	}
	if r, s, f := countVerdicts(sinceRunning(lines)); r != 1 || s != 1 || f != 1 {
		t.Errorf("countVerdicts = %d restarts, %d stalls, %d failures; want 1 each", r, s, f)
	}
	if got := sinceRunning(lines[:1]); got != nil {
		t.Errorf("sinceRunning without a running line = %v, want nothing", got)
	}
}

func TestWedgeStallTargets(t *testing.T) {
	p := &PeersReport{Wedge: []TimingRow{
		{Name: rowHsupTight, MS: []float64{3600}, Median: 3600},
		{Name: "hsup (tight, --accept-stall=1s)", MS: []float64{2500}, Median: 2500},
		{Name: "hsup (tight, --accept-stall=0)", MS: []float64{3600}, Median: 3600},
		{Name: "hsup (defaults)", MS: []float64{16000}, Median: 16000},
		{Name: peerMonit.name, MS: []float64{5400}, Median: 5400},
	}}
	got := wedgeStallTargets(p)
	if len(got) != 2 || !got[0].Met || got[1].Met {
		t.Errorf("wedgeStallTargets = %+v; want the 1 s row met (2.16x) and the watch-off row missed", got)
	}
	if wedgeStallTargets(&PeersReport{Wedge: p.Wedge[:2]}) != nil {
		t.Error("targets without a monit row")
	}
}
