package observe

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

const pressureWarnMsg = "child is close to its open-file limit; capturing a diagnostics bundle (raise --nofile or look for a descriptor leak)"

// TestFDPressure: with --nofile=512, 450 leaked handles cross --fd-warn
// 0.8 (one warning, one bundle, no restart) and, with --fd-restart=0.85,
// lead to a restart with reason fd_pressure.
func TestFDPressure(t *testing.T) {
	t.Parallel()
	t.Run("warn", func(t *testing.T) {
		t.Parallel()
		d := startDemo(t, map[string]string{"nofile": "512"})
		from := len(d.p.Lines())
		d.flip(t, "leak?n=450")
		_, wi := d.p.WaitLine(t, from, restartWait, "FD pressure warning", msg(pressureWarnMsg))
		bl, bi := d.p.WaitLine(t, wi, restartWait, "fd_pressure bundle", isBundleLine)
		if bl.Str("reason") != "fd_pressure" || bl.Str("result") != "ok" {
			t.Errorf("bundle line %v, want reason fd_pressure result ok", bl)
		}
		// Let ten more probes pass: no restart, no second warning or bundle.
		okProbes := `hsup_health_probes_total{probe="cheap",result="ok"}`
		base, _ := hsuptest.Scrape(t, d.metrics+"/metrics")
		waitMetric(t, d.metrics, okProbes, func(v float64) bool { return v >= base[okProbes]+10 })
		lines := d.p.Lines()
		if n := count(lines, from, msg(pressureWarnMsg)); n != 1 {
			t.Errorf("%d FD pressure warnings, want 1", n)
		}
		for _, st := range []string{"capturing", "stopping", "backoff", "starting"} {
			if n := count(lines, from, hsuptest.State(st)); n != 0 {
				t.Errorf("%d \"child %s\" lines after the leak, want none (no restart)", n, st)
			}
		}
		if n := count(lines, bi+1, isBundleLine); n != 0 {
			t.Errorf("%d more bundles, want one in all", n)
		}
		if got := bundles(t, d.diag); len(got) != 1 || !strings.HasSuffix(got[0], "-fd_pressure") {
			t.Errorf("bundle dirs %v, want one fd_pressure bundle", got)
		}
		m, _ := hsuptest.Scrape(t, d.metrics+"/metrics")
		if m["hsup_child_nofile_limit"] != 512 || m["hsup_child_open_fds"] < 450 {
			t.Errorf("nofile_limit %v open_fds %v, want 512 and >= 450", m["hsup_child_nofile_limit"], m["hsup_child_open_fds"])
		}
	})
	t.Run("restart", func(t *testing.T) {
		t.Parallel()
		d := startDemo(t, map[string]string{"nofile": "512", "fd-restart": "0.85"})
		from := len(d.p.Lines())
		d.flip(t, "leak?n=450")
		cl, ci := d.p.WaitLine(t, from, restartWait, "child capturing", hsuptest.State("capturing"))
		if cl.Str("reason") != "fd_pressure" {
			t.Errorf("capturing reason %q, want fd_pressure", cl.Str("reason"))
		}
		bo, bi := d.p.WaitLine(t, ci, restartWait, "child backoff", hsuptest.State("backoff"))
		if bo.Str("reason") != "fd_pressure" {
			t.Errorf("backoff reason %q, want fd_pressure", bo.Str("reason"))
		}
		d.p.WaitLine(t, bi, restartWait, "replacement running", hsuptest.State("running"))
		waitMetric(t, d.metrics, `hsup_child_restarts_total{reason="fd_pressure"}`, func(v float64) bool { return v == 1 })
	})
}

// waitMetric polls /metrics until series satisfies ok, up to restartWait.
func waitMetric(t *testing.T, metrics, series string, ok func(float64) bool) map[string]float64 {
	t.Helper()
	deadline := time.NewTimer(restartWait)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		m, _ := hsuptest.Scrape(t, metrics+"/metrics")
		if v, found := m[series]; found && ok(v) {
			return m
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s never reached the wanted value; last %v", series, m[series])
		}
	}
}

// TestDumpSignal: --dump-signal=USR1 makes the demo app write its
// goroutines to stderr, and that lands in the bundle's output-tail.txt.
func TestDumpSignal(t *testing.T) {
	t.Parallel()
	d := startDemo(t, map[string]string{"dump-signal": "USR1", "dump-wait": "500ms"})
	ci, bi, _ := d.wedge(t)
	lines := d.p.Lines()
	childPid := lines[ci].Int("pid")
	tail := readFile(t, filepath.Join(lines[bi].Str("dir"), "output-tail.txt"))
	want := fmt.Sprintf("goroutine dump of pid %d", childPid)
	if !strings.Contains(tail, want) || !strings.Contains(tail, "goroutine ") {
		t.Errorf("output-tail.txt lacks %q and a stack:\n%.2000s", want, tail)
	}
}

// TestDumpURL: --dump-url against a Go child serving net/http/pprof puts
// its goroutines into dump-url.txt.
func TestDumpURL(t *testing.T) {
	t.Parallel()
	port, metricsPort := hsuptest.FreePort(t), hsuptest.FreePort(t)
	app := fmt.Sprintf("http://127.0.0.1:%d", port)
	diag := filepath.Join(t.TempDir(), "diag")
	args := []string{"run", "--log-format=json", "--metrics-addr=" + fmt.Sprintf("127.0.0.1:%d", metricsPort),
		"--diag-dir=" + diag, "--health-url=" + app + "/health", "--deep-url=", "--heartbeat-field=",
		"--health-interval=200ms", "--health-timeout=500ms", "--health-failures=2", "--stop-grace=2s",
		"--backoff-min=100ms", "--dump-url=" + app + "/debug/pprof/goroutine?debug=2",
		"--", os.Args[0], fmt.Sprintf("127.0.0.1:%d", port)}
	p := hsuptest.Start(t, args, reexec.Env(t, "pprof"))
	p.WaitLine(t, 0, startWait, "child running", hsuptest.State("running"))
	from := len(p.Lines())
	if code, body := hsuptest.Post(t, app+"/fail"); code != 200 {
		t.Fatalf("POST /fail: %d %s", code, body)
	}
	bl, bi := p.WaitLine(t, from, restartWait, "bundle line", isBundleLine)
	p.WaitLine(t, bi, restartWait, "replacement starting", hsuptest.State("starting"))
	dump := readFile(t, filepath.Join(bl.Str("dir"), "dump-url.txt"))
	if !strings.Contains(dump, "observeMarkerPark") || !strings.Contains(dump, "goroutine ") {
		t.Errorf("dump-url.txt lacks the child's parked goroutine:\n%.2000s", dump)
	}
	if s := readSummary(t, bl.Str("dir")); !s.Collectors["dump_url"].OK {
		t.Errorf("dump_url collector %+v, want ok", s.Collectors["dump_url"])
	}
}
