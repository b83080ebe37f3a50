package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hsup/hsup/test/hsuptest"
)

// bundleLine matches hsup's line for a bundle written (whole or partial).
func bundleLine(l hsuptest.Line) bool {
	return strings.HasPrefix(l.Msg(), "diagnostics bundle ") && l.Str("dir") != ""
}

// hsupOnce runs an hsup command to its end and returns its exit code and
// stdout.
func hsupOnce(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	p := hsuptest.Start(t, args, env...)
	code := p.Wait(t, exitWait)
	return code, p.Stdout()
}

// bundleSummary is the part of summary.json these tests read.
type bundleSummary struct {
	Service       string   `json:"service"`
	HsupVersion   string   `json:"hsup_version"`
	Argv          []string `json:"argv"`
	Reason        string   `json:"reason"`
	Cause         string   `json:"cause"`
	Streak        string   `json:"streak"`
	Verdict       *struct{ Reason, Sentence string }
	FailingChecks []struct{ Name, Status, Error string } `json:"failing_checks"`
	Probes        map[string]struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
		File   string `json:"file"`
	} `json:"probes"`
	ProbeHistory []struct {
		Kind   string `json:"kind"`
		Status int    `json:"status"`
	} `json:"probe_history"`
}

// readBundleSummary reads dir's summary.json and fails the test on a zero
// time in it: absent is absent, never 0001-01-01.
func readBundleSummary(t *testing.T, dir string) bundleSummary {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "0001-01-01") {
		t.Errorf("%s/summary.json holds a zero time:\n%s", dir, raw)
	}
	var s bundleSummary
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s/summary.json: %v", dir, err)
	}
	return s
}

// TestBundlesNameTheLeak: the demo leaks 300 state.db handles, then its
// deep check fails. The bundle hsup writes, in the service's default
// directory, carries the failing check, the verdict's sentence, the last
// deep answer, the service and the child's argv; `hsup bundles` lists it
// with its cause and `hsup bundles show` names state.db with its count.
func TestBundlesNameTheLeak(t *testing.T) {
	t.Parallel()
	home, xdg := t.TempDir(), t.TempDir()
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + xdg}
	port := strconv.Itoa(hsuptest.FreePort(t))
	p := hsuptest.Start(t, append([]string{"demo", "--port=" + port, "--name=webui"}, healthFlagsDeep(deepInterval)...), env...)
	_, from := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
	app := "http://127.0.0.1:" + port
	for _, sw := range []string{"leak?n=300", "deep"} {
		if code, body := hsuptest.Post(t, app+"/demo/"+sw); code != http.StatusOK {
			t.Fatalf("flip %s: %d %s", sw, code, body)
		}
	}
	l, _ := p.WaitLine(t, from, lineWait, "the deep restart's bundle", bundleLine)
	dir := l.Str("dir")
	s := readBundleSummary(t, dir)
	if len(s.FailingChecks) != 1 || s.FailingChecks[0].Name != "state_db" || s.FailingChecks[0].Error != "OperationalError" {
		t.Errorf("failing_checks %+v, want state_db with OperationalError", s.FailingChecks)
	}
	if s.Service != "webui" || s.HsupVersion == "" || !slices.Contains(s.Argv, "demo-app") || s.Reason != "deep" ||
		s.Verdict == nil || s.Verdict.Sentence == "" || s.Streak == "" {
		t.Errorf("service %q version %q argv %q reason %q verdict %+v streak %q", s.Service, s.HsupVersion, s.Argv, s.Reason, s.Verdict, s.Streak)
	}
	if d := s.Probes["deep"]; d.Status != 503 || !strings.Contains(d.Body, "OperationalError") || d.File != "probe-deep.txt" || len(s.ProbeHistory) == 0 {
		t.Errorf("last deep probe %+v, history %d: want the 503 and its body", d, len(s.ProbeHistory))
	}
	tail, err := os.ReadFile(filepath.Join(dir, "output-tail.txt"))
	if err != nil || !regexp.MustCompile(`(?m)^=== hsup: child pid \d+ started \S+Z ===$`).Match(tail) {
		t.Errorf("output-tail.txt (%v) has no start mark:\n%s", err, tail)
	}
	if want := filepath.Join(xdg, "hsup", "diagnostics", "webui"); filepath.Dir(dir) != want && !strings.HasSuffix(filepath.Dir(dir), "/Library/Logs/hsup/diagnostics/webui") {
		t.Errorf("bundle in %s, want the service's default directory %s", filepath.Dir(dir), want)
	}

	code, list := hsupOnce(t, env, "bundles", "--name=webui")
	t.Logf("hsup bundles --name=webui:\n%s", list)
	if code != 0 || !strings.Contains(list, filepath.Base(dir)) || !strings.Contains(list, "state_db error (OperationalError)") {
		t.Errorf("hsup bundles: exit %d\n%s", code, list)
	}
	code, show := hsupOnce(t, env, "bundles", "show", "--name=webui", "latest")
	t.Logf("hsup bundles show latest:\n%s", show)
	m := regexp.MustCompile(`(?m)^\s+(\d+)\s+\S*/state\.db$`).FindStringSubmatch(show)
	if code != 0 || m == nil {
		t.Fatalf("hsup bundles show: exit %d, no state.db line with its count:\n%s", code, show)
	}
	if n, _ := strconv.Atoi(m[1]); n < 300 {
		t.Errorf("state.db count %d, want >= 300", n)
	}
	for _, want := range []string{"cause    deep: ", "failing deep checks:\n  state_db: error (OperationalError)\n",
		"=== hsup: child pid ", filepath.Join(dir, "summary.json"), filepath.Join(dir, "probe-deep.txt")} {
		if !strings.Contains(show, want) {
			t.Errorf("hsup bundles show lacks %q", want)
		}
	}
}

// TestRetentionKeepsFirstOfStreak: a child that never answers its health
// URL is restarted for its startup grace again and again, a bundle each
// time. With --diag-keep=2 the directory ends with the streak's first
// bundle next to the two newest.
func TestRetentionKeepsFirstOfStreak(t *testing.T) {
	t.Parallel()
	diag := t.TempDir()
	cmd, env := helperCmd(t, "wait-term", "0")
	args := append([]string{"run", "--name=loop", "--log-format=json", "--metrics-addr=", "--diag-dir=" + diag, "--diag-keep=2",
		"--health-url=http://127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t)) + "/health", "--deep-url=",
		"--startup-grace=300ms", "--backoff-min=100ms", "--backoff-max=200ms", "--stop-grace=2s"}, cmd...)
	p := hsuptest.Start(t, args, env)
	from := 0
	for i := range 5 {
		_, at := p.WaitLine(t, from, lineWait, "bundle "+strconv.Itoa(i+1), bundleLine)
		from = at + 1
	}
	p.Signal(t, syscall.SIGTERM)
	p.Wait(t, exitWait)
	var written []string
	for _, l := range p.Lines() {
		if bundleLine(l) {
			written = append(written, filepath.Base(l.Str("dir")))
		}
	}
	want := []string{written[0], written[len(written)-2], written[len(written)-1]}
	entries, err := os.ReadDir(diag)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	streaks := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() {
			left = append(left, e.Name())
			s := readBundleSummary(t, filepath.Join(diag, e.Name()))
			streaks[s.Streak] = true
			if s.Service != "loop" || s.Reason != "startup" {
				t.Errorf("%s: service %q reason %q", e.Name(), s.Service, s.Reason)
			}
		}
	}
	slices.Sort(left)
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("after %d bundles with --diag-keep=2: %v\nwant the first and the two newest: %v", len(written), left, want)
	}
	if len(streaks) != 1 || streaks[""] {
		t.Errorf("streaks %v, want one", streaks)
	}
	code, list := hsupOnce(t, nil, "bundles", "--diag-dir="+diag)
	if code != 0 || strings.Count(list, "\n") != 4 || !strings.Contains(list, written[0]) {
		t.Errorf("hsup bundles: exit %d, want a heading and 3 bundles, the first among them:\n%s", code, list)
	}
}
