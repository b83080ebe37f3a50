package metrics

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// testLabels are the label sets cmd/hsup gathers from their owners.
var testLabels = Labels{
	States:        []string{"starting", "running", "capturing", "stopping", "backoff", "stopped"},
	Reasons:       []string{"exit", "health", "deep", "heartbeat", "busy", "startup", "fd_pressure"},
	Probes:        []string{"cheap", "deep"},
	ProbeResults:  []string{"ok", "degraded", "busy", "timeout", "refused", "reset", "error"},
	BundleResults: []string{"ok", "partial", "failed"},
}

// fixture is a status and a clock the test sets, read by the Metrics.
type fixture struct {
	st  Status
	now time.Time
}

func newFixture() (*fixture, *Metrics) {
	f := &fixture{now: t0}
	return f, New(Options{Now: func() time.Time { return f.now }, Status: func() Status { return f.st }, Labels: testLabels})
}

func TestSeries(t *testing.T) {
	tests := []struct {
		name  string
		calls func(m *Metrics, f *fixture)
		names []string
		want  string
	}{
		{
			name:  "before the first child: backoff, restarts pre-initialised",
			calls: func(m *Metrics, f *fixture) { f.st = Status{State: "backoff"} },
			names: []string{"hsup_child_up", "hsup_child_state", "hsup_child_restarts_total", "hsup_heartbeat_age_seconds"},
			want: `
# HELP hsup_child_restarts_total Child restarts decided by hsup, by reason.
# TYPE hsup_child_restarts_total counter
hsup_child_restarts_total{reason="busy"} 0
hsup_child_restarts_total{reason="deep"} 0
hsup_child_restarts_total{reason="exit"} 0
hsup_child_restarts_total{reason="fd_pressure"} 0
hsup_child_restarts_total{reason="health"} 0
hsup_child_restarts_total{reason="heartbeat"} 0
hsup_child_restarts_total{reason="startup"} 0
# HELP hsup_child_state 1 for the supervisor's current child state, 0 for the others.
# TYPE hsup_child_state gauge
hsup_child_state{state="backoff"} 1
hsup_child_state{state="capturing"} 0
hsup_child_state{state="running"} 0
hsup_child_state{state="starting"} 0
hsup_child_state{state="stopped"} 0
hsup_child_state{state="stopping"} 0
# HELP hsup_child_up 1 while a child process runs, 0 otherwise.
# TYPE hsup_child_up gauge
hsup_child_up 0
# HELP hsup_heartbeat_age_seconds Seconds since the child's heartbeat counter last advanced (0 until one is seen).
# TYPE hsup_heartbeat_age_seconds gauge
hsup_heartbeat_age_seconds 0
`,
		},
		{
			name: "running child restarted for health",
			calls: func(m *Metrics, f *fixture) {
				f.st = Status{State: "running", Pid: 42, StartedAt: time.Unix(1700000000, 500000000), Restarts: 1}
				m.Restart("health")
			},
			names: []string{"hsup_child_up", "hsup_child_start_time_seconds", "hsup_child_state", "hsup_child_restarts_total"},
			want: `
# HELP hsup_child_restarts_total Child restarts decided by hsup, by reason.
# TYPE hsup_child_restarts_total counter
hsup_child_restarts_total{reason="busy"} 0
hsup_child_restarts_total{reason="deep"} 0
hsup_child_restarts_total{reason="exit"} 0
hsup_child_restarts_total{reason="fd_pressure"} 0
hsup_child_restarts_total{reason="health"} 1
hsup_child_restarts_total{reason="heartbeat"} 0
hsup_child_restarts_total{reason="startup"} 0
# HELP hsup_child_start_time_seconds Start time of the current child since the Unix epoch in seconds.
# TYPE hsup_child_start_time_seconds gauge
hsup_child_start_time_seconds 1.7000000005e+09
# HELP hsup_child_state 1 for the supervisor's current child state, 0 for the others.
# TYPE hsup_child_state gauge
hsup_child_state{state="backoff"} 0
hsup_child_state{state="capturing"} 0
hsup_child_state{state="running"} 1
hsup_child_state{state="starting"} 0
hsup_child_state{state="stopped"} 0
hsup_child_state{state="stopping"} 0
# HELP hsup_child_up 1 while a child process runs, 0 otherwise.
# TYPE hsup_child_up gauge
hsup_child_up 1
`,
		},
		{
			name: "exit then backoff",
			calls: func(m *Metrics, f *fixture) {
				m.ChildExited(137)
				m.ChildExited(137)
				m.ChildExited(0)
				m.Restart("exit")
				f.st = Status{State: "backoff", Restarts: 1, Backoff: 1500 * time.Millisecond}
			},
			names: []string{"hsup_child_up", "hsup_child_exits_total", "hsup_backoff_seconds"},
			want: `
# HELP hsup_backoff_seconds Current wait before the next restart in seconds, 0 when none.
# TYPE hsup_backoff_seconds gauge
hsup_backoff_seconds 1.5
# HELP hsup_child_exits_total Child exits by exit status (128+N for signal N).
# TYPE hsup_child_exits_total counter
hsup_child_exits_total{code="0"} 1
hsup_child_exits_total{code="137"} 2
# HELP hsup_child_up 1 while a child process runs, 0 otherwise.
# TYPE hsup_child_up gauge
hsup_child_up 0
`,
		},
		{
			name: "unknown state gets its own series and is zeroed later",
			calls: func(m *Metrics, f *fixture) {
				f.st = Status{State: "paused", Pid: 7}
				gather(m)
				f.st = Status{State: "starting", Pid: 7}
			},
			names: []string{"hsup_child_up", "hsup_child_state"},
			want: `
# HELP hsup_child_state 1 for the supervisor's current child state, 0 for the others.
# TYPE hsup_child_state gauge
hsup_child_state{state="backoff"} 0
hsup_child_state{state="capturing"} 0
hsup_child_state{state="paused"} 0
hsup_child_state{state="running"} 0
hsup_child_state{state="starting"} 1
hsup_child_state{state="stopped"} 0
hsup_child_state{state="stopping"} 0
# HELP hsup_child_up 1 while a child process runs, 0 otherwise.
# TYPE hsup_child_up gauge
hsup_child_up 1
`,
		},
		{
			name: "heartbeat age computed at scrape time",
			calls: func(m *Metrics, f *fixture) {
				f.st = Status{State: "running", Pid: 42, StartedAt: t0, HeartbeatKnown: true, HeartbeatValue: 17, HeartbeatAdvancedAt: t0.Add(2 * time.Second)}
				f.now = t0.Add(9500 * time.Millisecond)
			},
			names: []string{"hsup_heartbeat_value", "hsup_heartbeat_age_seconds"},
			want: `
# HELP hsup_heartbeat_age_seconds Seconds since the child's heartbeat counter last advanced (0 until one is seen).
# TYPE hsup_heartbeat_age_seconds gauge
hsup_heartbeat_age_seconds 7.5
# HELP hsup_heartbeat_value Last value of the child's heartbeat counter (accepted connections).
# TYPE hsup_heartbeat_value gauge
hsup_heartbeat_value 17
`,
		},
		{
			name: "new child: no heartbeat yet",
			calls: func(m *Metrics, f *fixture) {
				f.now = t0.Add(time.Minute)
				f.st = Status{State: "starting", Pid: 43, StartedAt: f.now}
			},
			names: []string{"hsup_heartbeat_value", "hsup_heartbeat_age_seconds"},
			want: `
# HELP hsup_heartbeat_age_seconds Seconds since the child's heartbeat counter last advanced (0 until one is seen).
# TYPE hsup_heartbeat_age_seconds gauge
hsup_heartbeat_age_seconds 0
# HELP hsup_heartbeat_value Last value of the child's heartbeat counter (accepted connections).
# TYPE hsup_heartbeat_value gauge
hsup_heartbeat_value 0
`,
		},
		{
			name: "file descriptors",
			calls: func(m *Metrics, f *fixture) {
				f.st = Status{State: "running", Pid: 42, OpenFDs: 366, FDLimit: 4096}
			},
			names: []string{"hsup_child_open_fds", "hsup_child_nofile_limit"},
			want: `
# HELP hsup_child_nofile_limit RLIMIT_NOFILE soft limit the child really runs with.
# TYPE hsup_child_nofile_limit gauge
hsup_child_nofile_limit 4096
# HELP hsup_child_open_fds Number of open file descriptors of the child.
# TYPE hsup_child_open_fds gauge
hsup_child_open_fds 366
`,
		},
		{
			name: "bundles",
			calls: func(m *Metrics, f *fixture) {
				m.Bundle("ok", 300*time.Millisecond)
				m.Bundle("partial", 12*time.Second)
			},
			names: []string{"hsup_diagnostics_bundles_total", "hsup_diagnostics_capture_seconds"},
			want: `
# HELP hsup_diagnostics_bundles_total Diagnostics bundles captured, by result.
# TYPE hsup_diagnostics_bundles_total counter
hsup_diagnostics_bundles_total{result="failed"} 0
hsup_diagnostics_bundles_total{result="ok"} 1
hsup_diagnostics_bundles_total{result="partial"} 1
# HELP hsup_diagnostics_capture_seconds Time taken to capture one diagnostics bundle in seconds.
# TYPE hsup_diagnostics_capture_seconds histogram
hsup_diagnostics_capture_seconds_bucket{le="0.1"} 0
hsup_diagnostics_capture_seconds_bucket{le="0.25"} 0
hsup_diagnostics_capture_seconds_bucket{le="0.5"} 1
hsup_diagnostics_capture_seconds_bucket{le="1"} 1
hsup_diagnostics_capture_seconds_bucket{le="2.5"} 1
hsup_diagnostics_capture_seconds_bucket{le="5"} 1
hsup_diagnostics_capture_seconds_bucket{le="10"} 1
hsup_diagnostics_capture_seconds_bucket{le="20"} 2
hsup_diagnostics_capture_seconds_bucket{le="30"} 2
hsup_diagnostics_capture_seconds_bucket{le="60"} 2
hsup_diagnostics_capture_seconds_bucket{le="+Inf"} 2
hsup_diagnostics_capture_seconds_sum 12.3
hsup_diagnostics_capture_seconds_count 2
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, m := newFixture()
			tt.calls(m, f)
			if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(tt.want), tt.names...); err != nil {
				t.Error(err)
			}
		})
	}
}

// gather scrapes the registry once, as Prometheus would.
func gather(m *Metrics) { _, _ = m.Registry().Gather() }

func TestProbeSeries(t *testing.T) {
	_, m := newFixture()
	m.Probe("cheap", "ok", 3*time.Millisecond)
	m.Probe("cheap", "ok", 4*time.Millisecond)
	m.Probe("cheap", "timeout", 2*time.Second)
	m.Probe("deep", "degraded", 800*time.Millisecond)

	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{name: "cheap ok", labels: []string{"cheap", "ok"}, want: 2},
		{name: "cheap timeout", labels: []string{"cheap", "timeout"}, want: 1},
		{name: "deep degraded", labels: []string{"deep", "degraded"}, want: 1},
		{name: "pre-initialised deep reset", labels: []string{"deep", "reset"}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testutil.ToFloat64(m.probes.WithLabelValues(tt.labels...)); got != tt.want {
				t.Errorf("hsup_health_probes_total%v = %v, want %v", tt.labels, got, tt.want)
			}
		})
	}
	// Every probe/result pair exists before it happens, so alerts on rate() work.
	if n := testutil.CollectAndCount(m.probes); n != len(testLabels.Probes)*len(testLabels.ProbeResults) {
		t.Errorf("hsup_health_probes_total has %d series, want %d", n, len(testLabels.Probes)*len(testLabels.ProbeResults))
	}
	// Histogram counts: 3 cheap, 1 deep.
	if n, err := testutil.GatherAndCount(m.Registry(), "hsup_health_probe_duration_seconds"); err != nil || n != 2 {
		t.Errorf("probe duration series = %d (%v), want 2", n, err)
	}
}

// TestLint runs promlint over the whole registry (hsup_* plus the Go and
// process collectors) after every series has a sample.
func TestLint(t *testing.T) {
	f, m := newFixture()
	f.st = Status{State: "running", Pid: 42, StartedAt: t0, Restarts: 1, Backoff: time.Second,
		HeartbeatKnown: true, HeartbeatValue: 3, HeartbeatAdvancedAt: t0, OpenFDs: 10, FDLimit: 4096}
	m.Restart("health")
	m.ChildExited(1)
	m.Probe("cheap", "ok", time.Millisecond)
	m.Bundle("ok", time.Second)
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestPromtool checks the exposition with promtool when it is installed; the
// promlint test above always runs.
func TestPromtool(t *testing.T) {
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not on PATH; TestLint covers the same rules")
		return
	}
	_, m := newFixture()
	m.Probe("deep", "ok", time.Second)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = rec.Body
	if res, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, res)
	}
}

func TestDroppedOutputSeries(t *testing.T) {
	m := New(Options{Dropped: map[string]func() float64{
		"stdout": func() float64 { return 4096 }, "stderr": func() float64 { return 0 }}})
	want := `
# HELP hsup_output_dropped_bytes_total Bytes of hsup's own output (its log, the child's output it passes on) dropped because the reader went away or stalled.
# TYPE hsup_output_dropped_bytes_total counter
hsup_output_dropped_bytes_total{stream="stderr"} 0
hsup_output_dropped_bytes_total{stream="stdout"} 4096
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "hsup_output_dropped_bytes_total"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(m.Registry()); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
