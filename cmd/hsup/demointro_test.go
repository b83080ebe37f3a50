package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/demoapp"
)

// TestSwitchEffect: the banner's timings follow the flags the demo runs
// with; with the defaults they say what demoapp's own sentences say.
func TestSwitchEffect(t *testing.T) {
	fast := []string{"--health-interval=1s", "--health-timeout=500ms", "--health-failures=2", "--heartbeat-stale=4s",
		"--busy-failures=3", "--deep-interval=30s", "--deep-timeout=5s", "--deep-failures=3", "--backoff-min=100ms",
		"--nofile=1024", "--fd-warn=0.5"}
	tests := []struct {
		name  string
		flags []string
		sw    string
		want  string
	}{
		{name: "defaults", sw: "noaccept", want: "; hsup restarts it once connections have waited 2s in its accept queue with no probe answered (about 7s with only hsup's probes connecting), reason accept_stall."},
		{name: "defaults", sw: "emfile", want: "(about 7s with only hsup's probes connecting), reason accept_stall."},
		{name: "no accept watch", flags: []string{"--accept-stall=0"}, sw: "noaccept", want: "; hsup restarts it after 3 failed probes (about 17s), reason health."},
		{name: "defaults", sw: "reset", want: "after 3 failed probes (about 15s), reason health."},
		{name: "defaults", sw: "deep", want: "after 2 failed deep probes (within about 2m10s), reason deep."},
		{name: "defaults", sw: "freeze", want: "not moved for 30s (about 35s), reason heartbeat."},
		{name: "defaults", sw: "busy", want: "waits for 12 of them in a row (about 1m), then restarts"},
		{name: "defaults", sw: "leak", want: "after about 11 calls it crosses 80% of its 4096 FD limit"},
		{name: "defaults", sw: "crash", want: "after a backoff of up to 1s, reason exit."},
		{name: "fast", flags: fast, sw: "hang", want: "after 2 failed probes (about 2.5s), reason health."},
		{name: "fast", flags: fast, sw: "reset", want: "after 2 failed probes (about 2s), reason health."},
		{name: "fast", flags: fast, sw: "deep", want: "after 3 failed deep probes (within about 1m35s), reason deep."},
		{name: "fast", flags: fast, sw: "freeze", want: "not moved for 4s (about 5s), reason heartbeat."},
		{name: "fast", flags: fast, sw: "busy", want: "waits for 3 of them in a row (about 3s)"},
		{name: "fast", flags: fast, sw: "leak", want: "after about 2 calls it crosses 50% of its 1024 FD limit"},
		{name: "fast", flags: fast, sw: "crash", want: "after a backoff of up to 100ms, reason exit."},
		{name: "no probing", flags: []string{"--health-url="}, sw: "noaccept", want: "hsup does not probe (--health-url is empty)"},
		{name: "no deep probe", flags: []string{"--deep-url="}, sw: "deep", want: "the deep probe is off"},
		{name: "no heartbeat", flags: []string{"--heartbeat-field="}, sw: "freeze", want: "the heartbeat check is off"},
		{name: "fd restart", flags: []string{"--fd-restart=0.9"}, sw: "leak", want: "and restarts it at 90%, reason fd_pressure."},
		{name: "inherited limit", flags: []string{"--nofile=0"}, sw: "leak", want: "crosses 80% of the FD limit it inherits"},
		{name: "never restart", flags: []string{"--restart=never"}, sw: "crash", want: "does not restart it (--restart=never)"},
		{name: "heal names no timing", sw: "heal", want: "probes pass again and hsup does not restart the app."},
	}
	switches := map[string]demoapp.Switch{}
	for _, sw := range demoapp.Switches() {
		switches[sw.Name] = sw
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.sw, func(t *testing.T) {
			s, err := parse(t, tt.flags...)
			if err != nil {
				t.Fatal(err)
			}
			sw := switches[tt.sw]
			got := switchEffect(sw, s)
			what, _, _ := strings.Cut(sw.Effect, "; ")
			if !strings.Contains(got, tt.want) || !strings.HasPrefix(got, what) || strings.Count(got, ". ") != 0 {
				t.Errorf("switchEffect(%s) = %q, want one sentence starting %q, with %q", tt.sw, got, what, tt.want)
			}
		})
	}
}

func TestDemoPortsFree(t *testing.T) {
	const app, metrics = "127.0.0.1:8787", "127.0.0.1:9464"
	tests := []struct {
		name    string
		busy    []string
		metrics string
		want    string // "" = free
	}{
		{name: "both free", metrics: metrics},
		{name: "app port taken", busy: []string{app}, metrics: metrics,
			want: "hsup: demo: the app's address 127.0.0.1:8787 is in use by pid 7 (x): stop that, or give the demo another --port"},
		{name: "metrics port taken", busy: []string{metrics}, metrics: metrics,
			want: "hsup: demo: the metrics address 127.0.0.1:9464 is in use by pid 7 (x): give another --metrics-addr, or --metrics-addr= for none"},
		{name: "no metrics", busy: []string{metrics}, metrics: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inUse := func(a string) bool { return strings.Contains(strings.Join(tt.busy, " "), a) }
			err := demoPortsFree(app, tt.metrics, inUse, func(string) string { return " by pid 7 (x)" })
			var ec cli.ExitCoder
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("err = %v, want nil", err)
			case tt.want != "" && (!errors.As(err, &ec) || ec.ExitCode() != 75 || err.Error() != tt.want):
				t.Fatalf("err = %v, want exit 75 with %q", err, tt.want)
			}
		})
	}
}

// TestDemoIntroTimings: the banner as printed carries the flags' timings.
func TestDemoIntroTimings(t *testing.T) {
	s, err := parse(t, "--health-interval=1s", "--health-timeout=500ms", "--health-failures=2")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printDemoIntro(&out, "127.0.0.1:1", s, "/tmp/x")
	if !strings.Contains(out.String(), "hsup restarts it after 2 failed probes (about 2.5s), reason health.") ||
		strings.Contains(out.String(), "17s") {
		t.Fatalf("banner does not follow the flags:\n%s", out.String())
	}
}
