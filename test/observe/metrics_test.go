package observe

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// TestMetricsAfterHealthRestart scrapes a running hsup after one forced
// health restart: every series and its value, and promlint finds nothing.
func TestMetricsAfterHealthRestart(t *testing.T) {
	t.Parallel()
	d := startDemo(t, map[string]string{"nofile": "1024"})
	_, _, si := d.wedge(t)
	d.p.WaitLine(t, si, startWait, "replacement running", hsuptest.State("running"))
	// The FD count of the new child arrives on the watcher's next tick.
	waitMetric(t, d.metrics, "hsup_child_open_fds", func(v float64) bool { return v > 0 })
	m, text := hsuptest.Scrape(t, d.metrics+"/metrics")
	want := map[string]float64{
		`hsup_child_restarts_total{reason="health"}`:      1,
		`hsup_child_restarts_total{reason="exit"}`:        0,
		`hsup_child_restarts_total{reason="fd_pressure"}`: 0,
		`hsup_child_up`:                                    1,
		`hsup_child_state{state="running"}`:                1,
		`hsup_child_state{state="starting"}`:               0,
		`hsup_child_state{state="capturing"}`:              0,
		`hsup_diagnostics_bundles_total{result="ok"}`:      1,
		`hsup_diagnostics_bundles_total{result="partial"}`: 0,
		`hsup_diagnostics_bundles_total{result="failed"}`:  0,
		`hsup_diagnostics_capture_seconds_count`:           1,
		`hsup_child_nofile_limit`:                          1024,
		`hsup_backoff_seconds`:                             0,
		`hsup_child_exits_total{code="0"}`:                 1, // the demo app exits 0 on SIGTERM
	}
	for series, v := range want {
		got, ok := m[series]
		if !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, v)
		}
	}
	positive := []string{
		`hsup_child_open_fds`, `hsup_child_start_time_seconds`, `hsup_heartbeat_value`,
		`hsup_health_probes_total{probe="cheap",result="ok"}`, `hsup_health_probe_duration_seconds_count{probe="cheap"}`,
	}
	for _, series := range positive {
		if m[series] <= 0 {
			t.Errorf("%s = %v, want > 0", series, m[series])
		}
	}
	failed := m[`hsup_health_probes_total{probe="cheap",result="timeout"}`] + m[`hsup_health_probes_total{probe="cheap",result="refused"}`]
	if failed < 2 {
		t.Errorf("failed cheap probes (timeout+refused) = %v, want >= 2 (the wedge)", failed)
	}
	probes := m[`hsup_health_probes_total{probe="cheap",result="ok"}`] + failed
	if c := m[`hsup_health_probe_duration_seconds_count{probe="cheap"}`]; c < probes {
		t.Errorf("probe duration count %v < probes counted %v", c, probes)
	}
	if start := m["hsup_child_start_time_seconds"]; start > float64(time.Now().Unix()+1) || start < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("hsup_child_start_time_seconds = %v, want about now", start)
	}
	problems, err := promlint.New(strings.NewReader(text)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestHealthzStartup: /healthz is 503 while the child starts and 200 once
// it is healthy; ?live=1 is 200 throughout.
func TestHealthzStartup(t *testing.T) {
	t.Parallel()
	port, metricsPort := hsuptest.FreePort(t), hsuptest.FreePort(t)
	app := fmt.Sprintf("127.0.0.1:%d", port)
	metrics := fmt.Sprintf("http://127.0.0.1:%d", metricsPort)
	args := []string{"run", "--log-format=json", fmt.Sprintf("--metrics-addr=127.0.0.1:%d", metricsPort),
		"--diag-dir=" + filepath.Join(t.TempDir(), "diag"), "--health-url=http://" + app + "/health",
		"--health-interval=200ms", "--health-timeout=500ms", "--startup-grace=20s",
		"--", hsuptest.Binary(t), "demo-app", "--addr", app, "--state-dir", t.TempDir(), "--start-delay", "2s"}
	p := hsuptest.Start(t, args)
	p.WaitLine(t, 0, startWait, "metrics listener serving", msg("metrics listener serving"))
	starting, running := 0, false
	deadline := time.NewTimer(startWait)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !running {
		// Read the log first: a 200 is only right once "child running" is out.
		wasRunning := count(p.Lines(), 0, hsuptest.State("running")) > 0
		code, body := hsuptest.Get(t, metrics+"/healthz")
		var h struct{ State string }
		_ = json.Unmarshal([]byte(body), &h)
		switch {
		case code == 200 && h.State == "running":
			running = true
		case code == 503:
			// After "child running" a 503 may precede the metrics update by
			// a moment; before it, a 503 is what is tested.
			if !wasRunning {
				starting++
			}
		default:
			t.Fatalf("/healthz %d %s (child running logged: %v)", code, body, wasRunning)
		}
		if code, body := hsuptest.Get(t, metrics+"/healthz?live=1"); code != 200 {
			t.Errorf("/healthz?live=1 %d %s, want 200 throughout", code, body)
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("/healthz never answered 200")
		}
	}
	if starting == 0 {
		t.Errorf("/healthz never answered 503 during the 2s start delay")
	}
	if code, body := hsuptest.Get(t, metrics+"/healthz?live=1"); code != 200 {
		t.Errorf("/healthz?live=1 once running: %d %s", code, body)
	}
}

// TestMetricsPortTaken: a --metrics-addr that stays in use is, after a few
// seconds of retrying, exit 75 (a service manager may retry it: the holder
// may be an hsup that is stopping), one line that names the address, and
// no child started.
func TestMetricsPortTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	addr := ln.Addr().String()
	marker := filepath.Join(t.TempDir(), "started")
	p := hsuptest.Start(t, []string{"run", "--log-format=json", "--metrics-addr=" + addr, "--health-url=",
		"--diag-dir=" + filepath.Join(t.TempDir(), "diag"), "--", os.Args[0], marker}, reexec.Env(t, "marker"))
	if code := p.Wait(t, 20*time.Second); code != 75 {
		t.Errorf("exit code %d, want 75", code)
	}
	raw := strings.TrimRight(p.RawStderr(), "\n")
	if strings.Count(raw, "\n") != 0 || !strings.Contains(raw, addr) || len(p.Lines()) != 0 {
		t.Errorf("stderr: want one line naming %s; got raw %q and log lines %v", addr, raw, p.Lines())
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the child started although the metrics address was taken")
	}
}

// TestMetricsPortBrieflyTaken: a --metrics-addr held for a moment (the
// hsup before this one still stopping) is waited for, not fatal.
func TestMetricsPortBrieflyTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	p := hsuptest.Start(t, []string{"run", "--log-format=json", "--metrics-addr=" + addr, "--health-url=",
		"--diag-dir=" + filepath.Join(t.TempDir(), "diag"), "--", os.Args[0], filepath.Join(t.TempDir(), "started")},
		reexec.Env(t, "marker"))
	time.Sleep(300 * time.Millisecond) // hold the port while hsup starts: the condition under test, not a synchronization
	ln.Close()
	p.WaitLine(t, 0, 20*time.Second, "metrics listening", func(l hsuptest.Line) bool { return l.Msg() == "metrics listening" })
	if code, _ := hsuptest.Get(t, "http://"+addr+"/healthz?live=1"); code != 200 {
		t.Errorf("/healthz?live=1 on the address once free: %d, want 200", code)
	}
}
