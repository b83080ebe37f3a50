package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/control"
	"github.com/hsup/hsup/ledger"
)

func TestStatusHealth(t *testing.T) {
	denied := errors.New("dial: " + control.ErrDenied.Error())
	cases := []struct {
		name    string
		live    control.Status
		err     error
		health  string
		code    int
		running bool
	}{
		{name: "running", live: control.Status{State: "running"}, health: "healthy", code: 0, running: true},
		{name: "running, judged degraded", live: control.Status{State: "running", Verdict: &control.Verdict{Reason: "deep"}}, health: "unhealthy", code: 1, running: true},
		{name: "capturing", live: control.Status{State: "capturing"}, health: "unhealthy", code: 1, running: true},
		{name: "backoff", live: control.Status{State: "backoff"}, health: "unhealthy", code: 1, running: true},
		{name: "starting", live: control.Status{State: "starting"}, health: "unhealthy", code: 1, running: true},
		{name: "stopping for good", live: control.Status{State: "running", Shutdown: true}, health: "unhealthy", code: 1, running: true},
		{name: "not running", err: control.ErrNotRunning, health: "not_running", code: 3},
		{name: "cannot tell", err: denied, health: "unknown", code: 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newStatusReport("web", "/s/web", c.live, c.err, ledger.Summary{}, nil)
			if r.Health != c.health || healthCode(r.Health) != c.code || r.Running != c.running || (r.Live != nil) != c.running {
				t.Errorf("health %q code %d running %v, want %q %d %v", r.Health, healthCode(r.Health), r.Running, c.health, c.code, c.running)
			}
			if !c.running && r.Error == "" {
				t.Error("no error said why there is no live status")
			}
		})
	}
}

func TestStatusTable(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	stamp := func(d time.Duration) string { return ledger.Stamp(now.Add(-d)) }
	zero := 0
	entries := []ledger.Entry{
		{Seq: 1, TS: stamp(2 * time.Hour), Event: ledger.EventHsupStarted},
		{Seq: 2, TS: stamp(10 * time.Minute), Event: ledger.EventBundleWritten, Pid: 9, Restart: true, Path: "/b/9-health"},
		{Seq: 3, TS: stamp(10 * time.Minute), Event: ledger.EventExited, Pid: 9, Code: &zero},
		{Seq: 4, TS: stamp(10 * time.Minute), Event: ledger.EventBackoff, Reason: "health", Sentence: "3 probes timed out"},
		{Seq: 5, TS: stamp(time.Minute), Event: ledger.EventHsupStopped, Code: &zero},
	}
	down := statusTable(newStatusReport("web", "/s/web", control.Status{}, control.ErrNotRunning, ledger.Summarize(entries, now), nil), now)
	for _, want := range []string{
		"web: no hsup is running; last seen 1m0s ago (2026-05-01 09:59:00 UTC), stopped with status 0",
		"restarts      1 in the last hour (health 1); 1 in the last day (health 1); 1 in the last week (health 1)",
		"last restart  10m0s ago: health: 3 probes timed out",
		"its bundle    /b/9-health",
		"ledger        /s/web/ledger.jsonl, last line 1m0s ago",
	} {
		if !strings.Contains(down, want) {
			t.Errorf("table without %q:\n%s", want, down)
		}
	}
	live := control.Status{State: "backoff", Hsup: control.Hsup{Pid: 5, Version: "v1", UptimeMS: 7200000},
		Backoff: &control.Backoff{DelayMS: 2000, RemainingMS: 1500},
		Probes:  &control.Probes{Failures: 2, Cheap: &control.Probe{Result: "timeout", LatencyMS: 2000, At: now.Add(-time.Second)}},
		FDs: &control.FDs{Open: 300, Limit: 1024, Trend: []control.FDSample{{At: now.Add(-time.Hour), Open: 20}, {At: now.Add(-30 * time.Minute), Open: 400},
			{At: now, Open: 300}}}}
	up := statusTable(newStatusReport("web", "/s/web", live, nil, ledger.Summarize(entries[:4], now), nil), now)
	for _, want := range []string{
		"web: backoff\n",
		"hsup          pid 5, up 2h0m, v1",
		"backoff       next start in 1.5s (delay 2s)",
		"probes        cheap timeout 2000.0ms 1s ago; 2 failed in a row",
		"open FDs      300 of 1024 (29%); over the last 1h0m 20 -> 300, at most 400",
	} {
		if !strings.Contains(up, want) {
			t.Errorf("table without %q:\n%s", want, up)
		}
	}
	empty := statusTable(newStatusReport("web", "/s/web", control.Status{}, control.ErrNotRunning, ledger.Summarize(nil, now), nil), now)
	if !strings.HasPrefix(empty, "web: no hsup is running (the ledger has nothing about it)\n") {
		t.Errorf("table of nothing:\n%s", empty)
	}
}

func TestPickService(t *testing.T) {
	state := t.TempDir()
	pick := func(args ...string) (string, error) {
		set := flag.NewFlagSet("status", flag.ContinueOnError)
		for _, f := range serviceFlags() {
			if err := f.Apply(set); err != nil {
				t.Fatal(err)
			}
		}
		if err := set.Parse(append([]string{"--state-dir=" + state}, args...)); err != nil {
			t.Fatal(err)
		}
		_, name, err := pickService(cli.NewContext(cli.NewApp(), set, nil))
		return name, err
	}
	exitCode := func(err error) int {
		var ec cli.ExitCoder
		if errors.As(err, &ec) {
			return ec.ExitCode()
		}
		return -1
	}
	if _, err := pick(); exitCode(err) != exitNotRunning {
		t.Errorf("no service: %v, want exit %d", err, exitNotRunning)
	}
	mk := func(name, file string) {
		if err := os.MkdirAll(filepath.Join(state, name), 0o700); err != nil {
			t.Fatal(err)
		}
		if file != "" {
			if err := os.WriteFile(filepath.Join(state, name, file), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("diagnostics", "") // not a service: neither lock nor ledger
	mk("web", "lock")
	if name, err := pick(); err != nil || name != "web" {
		t.Errorf("one service: %q %v, want web", name, err)
	}
	mk("api", ledger.FileName)
	if _, err := pick(); exitCode(err) != 2 || !strings.Contains(err.Error(), "[api web]") {
		t.Errorf("two services: %v, want exit 2 naming both", err)
	}
	if name, err := pick("--name=api"); err != nil || name != "api" {
		t.Errorf("--name=api: %q %v", name, err)
	}
	if _, err := pick("--name=../etc"); exitCode(err) != 2 {
		t.Errorf("--name=../etc: %v, want exit 2", err)
	}
}

func TestHuman(t *testing.T) {
	cases := map[time.Duration]string{
		1500 * time.Microsecond:                       "2ms",
		61*time.Second + time.Millisecond:             "1m1s",
		3*time.Hour + 20*time.Minute + 31*time.Second: "3h21m",
		26 * time.Hour:                                "26h0m",
	}
	for d, want := range cases {
		if got := human(d); got != want {
			t.Errorf("human(%v) = %q, want %q", d, got, want)
		}
	}
}
