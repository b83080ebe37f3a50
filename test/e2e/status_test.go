package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
)

// cmdWait bounds one hsup status/restart/capture.
const cmdWait = 30 * time.Second

// result is what one short hsup command did.
type result struct {
	stdout, stderr string
	code           int
}

// hsupCmd runs the built hsup with args to its end, bounded, with env added.
func hsupCmd(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runCmd(t, exec.Command(hsuptest.Binary(t), args...), env)
}

func runCmd(t *testing.T, cmd *exec.Cmd, env []string) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Env = &out, &errb, append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(cmdWait)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not end within %v", cmd.Args, cmdWait)
	}
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return r
}

// status runs hsup status --json for the service under state and returns
// the report and the exit code.
func status(t *testing.T, state string) (obj, int) {
	t.Helper()
	r := hsupCmd(t, nil, "status", "--json", "--state-dir="+state)
	var report obj
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
		t.Fatalf("hsup status --json (exit %d): %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	return report, r.code
}

// obj is a decoded JSON object, read by dotted paths.
type obj map[string]any

// get is the value at a dotted path ("live.child.pid"); nil when absent.
func (o obj) get(path string) any {
	var v any = map[string]any(o)
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func (o obj) str(path string) string { s, _ := o.get(path).(string); return s }

// num is the number at path, -1 when absent.
func (o obj) num(path string) float64 {
	if f, ok := o.get(path).(float64); ok {
		return f
	}
	return -1
}

// startDemoIn runs `hsup demo` with its service state under state and
// waits for its child to run; extra flags come last (they win).
func startDemoIn(t *testing.T, state string, extra ...string) (*hsuptest.Proc, string) {
	t.Helper()
	port := hsuptest.FreePort(t)
	args := append([]string{"demo", "--port=" + strconv.Itoa(port), "--diag-dir=" + t.TempDir(), "--state-dir=" + state},
		healthFlagsDeep(10*time.Second)...)
	p := hsuptest.Start(t, append(args, extra...))
	p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
	return p, "http://127.0.0.1:" + strconv.Itoa(port)
}

// checkTime fails unless path holds an RFC 3339 time after 2000.
func checkTime(t *testing.T, o obj, path string) {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, o.str(path))
	if err != nil || at.Year() < 2000 {
		t.Errorf("%s = %q, want a time", path, o.str(path))
	}
}

// TestStatusThroughALife: hsup status while the child runs (0), while a
// degraded child is captured (1) and in the backoff that follows (1), and
// once hsup is gone (3, from the ledger), with the --json schema checked
// field by field.
func TestStatusThroughALife(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	// A long backoff holds the backoff state (it separates starts: what is
	// left of it after the child's few seconds); the dump wait holds the
	// capture.
	p, app := startDemoIn(t, state, "--backoff-min=1m", "--backoff-max=1m", "--dump-signal=USR1", "--dump-wait=3s")
	running, _ := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))

	r, code := status(t, state)
	if code != 0 {
		t.Fatalf("status of a healthy child: exit %d, want 0: %v", code, r)
	}
	checkRunning(t, r, running.Int("pid"), p.Cmd.Process.Pid, state)
	table := hsupCmd(t, nil, "status", "--state-dir="+state, "--name=demo")
	if table.code != 0 || !strings.HasPrefix(table.stdout, "demo: running, healthy (pid "+strconv.Itoa(running.Int("pid"))) {
		t.Errorf("table (exit %d):\n%s%s", table.code, table.stdout, table.stderr)
	}

	if code, body := hsuptest.Post(t, app+"/demo/noaccept"); code != http.StatusOK {
		t.Fatalf("flip noaccept: %d %s", code, body)
	}
	p.WaitLine(t, 0, lineWait, "child capturing", hsuptest.State("capturing"))
	r, code = status(t, state)
	if code != 1 || r.str("live.state") != "capturing" || r.str("live.verdict.reason") != "health" || r.str("live.verdict.sentence") == "" {
		t.Errorf("status while capturing: exit %d, want 1 with the verdict: %v", code, r)
	}

	p.WaitLine(t, 0, lineWait+margin, "child backoff", hsuptest.State("backoff"))
	r, code = status(t, state)
	checkBackoff(t, r, code)
	table = hsupCmd(t, nil, "status", "--state-dir="+state)
	for _, want := range []string{"demo: backoff", "next start in", "last restart", "health: ", "its bundle"} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("table in backoff without %q:\n%s", want, table.stdout)
		}
	}

	p.Signal(t, syscall.SIGTERM)
	if code := p.Wait(t, exitWait); code != 0 {
		t.Errorf("hsup exit %d after SIGTERM in backoff, want 0", code)
	}
	checkGone(t, state)
}

// checkRunning checks the report of a running, healthy child field by field.
func checkRunning(t *testing.T, r obj, childPid, hsupPid int, state string) {
	t.Helper()
	want := map[string]any{"schema": 1.0, "name": "demo", "running": true, "health": "healthy",
		"live.schema": 1.0, "live.name": "demo", "live.state": "running", "live.child.pid": float64(childPid),
		"live.hsup.pid": float64(hsupPid), "live.restarts": 0.0, "live.probes.cheap.result": "ok",
		"live.probes.cheap.status": 200.0, "live.probes.failures": 0.0,
		"ledger.file": filepath.Join(state, "demo", "ledger.jsonl"), "ledger.last_event": "healthy"}
	for path, v := range want {
		if got := r.get(path); got != v {
			t.Errorf("%s = %v, want %v", path, got, v)
		}
	}
	for _, path := range []string{"live.now", "live.hsup.started", "live.child.started", "live.child.running_since",
		"live.probes.cheap.at", "ledger.last_seen", "ledger.hsup_started"} {
		checkTime(t, r, path)
	}
	for _, path := range []string{"live.hsup.uptime_ms", "live.child.uptime_ms", "live.child.pgid", "live.probes.cheap.latency_ms",
		"live.heartbeat.value", "live.heartbeat.age_ms", "live.fds.open", "live.fds.limit"} {
		if r.num(path) < 0 {
			t.Errorf("%s = %v, want a number", path, r.get(path))
		}
	}
	if r.str("live.hsup.version") == "" {
		t.Error("live.hsup.version is empty")
	}
	for _, path := range []string{"error", "live.verdict", "live.backoff", "live.last_restart", "live.last_exit_code", "ledger.stopped", "ledger.last_restart"} {
		if v := r.get(path); v != nil {
			t.Errorf("%s = %v, want absent", path, v)
		}
	}
	windows, _ := r.get("ledger.restarts").([]any)
	if len(windows) != 3 {
		t.Fatalf("ledger.restarts = %v, want hour, day and week", r.get("ledger.restarts"))
	}
	for i, span := range []string{"hour", "day", "week"} {
		w := obj(windows[i].(map[string]any))
		if w.str("span") != span || w.num("count") != 0 || w.get("reasons") != nil {
			t.Errorf("ledger.restarts[%d] = %v, want %s with no restarts", i, w, span)
		}
	}
}

// checkBackoff checks the report of the backoff after a health restart.
func checkBackoff(t *testing.T, r obj, code int) {
	t.Helper()
	if code != 1 || r.str("health") != "unhealthy" || r.str("live.state") != "backoff" {
		t.Errorf("status in backoff: exit %d, health %q, state %q; want 1, unhealthy, backoff", code, r.str("health"), r.str("live.state"))
	}
	delay := r.num("live.backoff.delay_ms")
	if rem := r.num("live.backoff.remaining_ms"); rem <= 0 || rem > delay || delay < 30000 || delay > 60000 {
		t.Errorf("live.backoff = %v, want what is left of 1m after the child's run, with time remaining", r.get("live.backoff"))
	}
	checkTime(t, r, "live.backoff.until")
	if r.get("live.child") != nil || r.get("live.verdict") != nil {
		t.Errorf("child %v, verdict %v in backoff, want absent", r.get("live.child"), r.get("live.verdict"))
	}
	bundle := r.str("live.last_bundle")
	if r.str("live.last_restart.reason") != "health" || bundle == "" || r.num("live.restarts") != 1 {
		t.Errorf("live last restart %v, bundle %q, restarts %v", r.get("live.last_restart"), bundle, r.get("live.restarts"))
	}
	if r.str("ledger.last_restart.reason") != "health" || r.str("ledger.last_restart.bundle") != bundle || r.str("ledger.last_restart.sentence") == "" {
		t.Errorf("ledger last restart %v, want health with the bundle %s", r.get("ledger.last_restart"), bundle)
	}
	if hour := obj(r.get("ledger.restarts").([]any)[0].(map[string]any)); hour.num("count") != 1 || hour.num("reasons.health") != 1 {
		t.Errorf("restarts in the last hour %v, want 1 for health", hour)
	}
	if _, err := os.Stat(filepath.Join(bundle, "summary.json")); err != nil {
		t.Errorf("the last restart's bundle: %v", err)
	}
}

// checkGone: with no hsup, status says what the ledger last saw, exit 3,
// and the socket is gone.
func checkGone(t *testing.T, state string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(state, "demo", "control.sock")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("control socket left after hsup exited: %v", err)
	}
	r, code := status(t, state)
	if code != 3 || r.get("running") != false || r.str("health") != "not_running" || r.get("live") != nil || r.str("error") == "" {
		t.Errorf("status with no hsup: exit %d, %v; want 3, not running, no live status, an error", code, r)
	}
	if r.num("ledger.stopped.code") != 0 || r.str("ledger.last_event") != "hsup_stopped" {
		t.Errorf("ledger stopped %v, last event %q", r.get("ledger.stopped"), r.str("ledger.last_event"))
	}
	checkTime(t, r, "ledger.last_seen")
	table := hsupCmd(t, nil, "status", "--state-dir="+state)
	if table.code != 3 || !strings.HasPrefix(table.stdout, "demo: no hsup is running; last seen ") ||
		!strings.Contains(table.stdout, "stopped with status 0") || !strings.Contains(table.stdout, "last restart") {
		t.Errorf("table with no hsup (exit %d):\n%s%s", table.code, table.stdout, table.stderr)
	}
	if never := hsupCmd(t, nil, "status", "--state-dir="+state, "--name=never"); never.code != 3 ||
		!strings.Contains(never.stdout, "no hsup is running") {
		t.Errorf("status of a service that never ran (exit %d):\n%s%s", never.code, never.stdout, never.stderr)
	}
}

// TestRestartAndCaptureOverTheSocket: hsup capture writes a bundle and
// prints its path, the child keeps running; hsup restart begins a restart
// with reason manual; a second one during its capture is refused (exit 1,
// with the reason); the ledger records all of it.
func TestRestartAndCaptureOverTheSocket(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	p, _ := startDemoIn(t, state, "--dump-signal=USR1", "--dump-wait=3s")
	first, from := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))

	c := hsupCmd(t, nil, "capture", "--state-dir="+state)
	bundle := strings.TrimSpace(c.stdout)
	if c.code != 0 || strings.Count(c.stdout, "\n") != 1 || !filepath.IsAbs(bundle) {
		t.Fatalf("hsup capture: exit %d, stdout %q, stderr %s; want 0 and one path", c.code, c.stdout, c.stderr)
	}
	if _, err := os.Stat(filepath.Join(bundle, "summary.json")); err != nil {
		t.Errorf("captured bundle: %v", err)
	}
	for _, l := range p.Lines()[from:] {
		if l.Msg() == "child backoff" || l.Msg() == "child exited" {
			t.Fatalf("a capture restarted the child: %v", l)
		}
	}

	r := hsupCmd(t, nil, "restart", "--state-dir="+state, "--name=demo")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, "restarting") {
		t.Fatalf("hsup restart: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	again := hsupCmd(t, nil, "restart", "--state-dir="+state)
	if again.code != 1 || !strings.Contains(again.stderr, "already under way") {
		t.Errorf("a restart during a restart's capture: exit %d, stderr %q; want 1 with the reason", again.code, again.stderr)
	}
	b, i := p.WaitLine(t, from, lineWait+margin, "child backoff", hsuptest.State("backoff"))
	if b.Str("reason") != "manual" {
		t.Errorf("backoff reason %q, want manual", b.Str("reason"))
	}
	next, _ := p.WaitLine(t, i, lineWait, "the replacement running", hsuptest.State("running"))
	if next.Int("pid") == first.Int("pid") {
		t.Errorf("still pid %d after the restart", next.Int("pid"))
	}
	p.Signal(t, syscall.SIGTERM)
	p.Wait(t, exitWait)

	lines := readLedger(t, filepath.Join(state, "demo"))
	capture := find(t, lines, "bundle_written", func(l obj) bool { return l.str("path") == bundle })
	if capture.get("restart") != nil || capture.str("reason") != "manual" {
		t.Errorf("the capture's ledger line %v, want reason manual and no restart", capture)
	}
	degraded := find(t, lines, "degraded", func(l obj) bool { return l.str("reason") == "manual" })
	if !strings.Contains(degraded.str("sentence"), "hsup restart") || degraded.num("pid") != float64(first.Int("pid")) {
		t.Errorf("the restart's degraded line %v", degraded)
	}
	restartBundle := find(t, lines, "bundle_written", func(l obj) bool { return l.str("reason") == "manual" && l.get("restart") == true })
	checkLinks(t, restartBundle.str("path"), filepath.Join(state, "demo", "ledger.jsonl"), degraded.num("seq"))
	find(t, lines, "backoff", func(l obj) bool { return l.str("reason") == "manual" })
}

// TestControlSocketOwnerOnly: the socket is 0600, and another user cannot
// use it even where the directories let it reach the socket.
func TestControlSocketOwnerOnly(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	state := filepath.Join(base, "state")
	if err := os.Mkdir(state, 0o711); err != nil {
		t.Fatal(err)
	}
	args, env := helperCmd(t, "wait-term", "0")
	p := hsuptest.Start(t, runArgs(t, append([]string{"--state-dir=" + state, "--name=svc"}, args...)...), env)
	ready(p, t)
	sock := filepath.Join(state, "svc", "control.sock")
	p.WaitLine(t, 0, lineWait, "the control socket", func(l hsuptest.Line) bool { return l.Msg() == "control socket serving" })
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket mode %v, want a socket of mode 0600", fi.Mode())
	}
	if r := hsupCmd(t, nil, "status", "--state-dir="+state); r.code != 0 {
		t.Errorf("status as hsup's user: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if os.Geteuid() != 0 || runtime.GOOS != "linux" {
		t.Skip("connecting as another user needs root (to drop to uid 65534 with setpriv) on Linux; the mode was checked")
	}
	// Let uid 65534 reach the socket and run a copy of hsup: only the
	// socket's own mode stands in its way.
	for _, d := range []string{filepath.Dir(base), base, filepath.Join(state, "svc")} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(base, "hsup")
	copyFile(t, hsuptest.Binary(t), bin)
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", bin, "status", "--state-dir="+state, "--name=svc")
	r := runCmd(t, cmd, nil)
	if r.code != 4 || !strings.Contains(r.stdout, "permission denied") {
		t.Errorf("status as uid 65534: exit %d, want 4 (cannot tell: permission denied)\n%s%s", r.code, r.stdout, r.stderr)
	}
	cmd = exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", bin, "restart", "--state-dir="+state, "--name=svc")
	if r := runCmd(t, cmd, nil); r.code != 4 || !strings.Contains(r.stderr, "permission denied") {
		t.Errorf("restart as uid 65534: exit %d, want 4\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, l := range p.Lines() {
		if l.Msg() == "child backoff" {
			t.Errorf("another user's restart was carried out: %v", l)
		}
	}
	p.Signal(t, syscall.SIGTERM)
	p.Wait(t, exitWait)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
