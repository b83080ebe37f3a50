package diagnose

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFailingChecks(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []Check
	}{
		{name: "webui state_db error",
			body: `{"status":"degraded","checks":{"streams_lock":{"status":"ok","ms":0.1},"state_db":{"status":"error","error":"OperationalError","ms":3}}}`,
			want: []Check{{Name: "state_db", Status: "error", Error: "OperationalError"}}},
		{name: "missing is healthy by the contract",
			body: `{"checks":{"projects":{"status":"missing"},"sessions":{"status":"blocked"}}}`,
			want: []Check{{Name: "sessions", Status: "blocked"}}},
		{name: "sorted by name, odd values verbatim",
			body: `{"checks":{"z":{"status":"error","error":{"code":5}},"a":{"status":false},"m":{"status":"ok"}}}`,
			want: []Check{{Name: "a", Status: "false"}, {Name: "z", Status: "error", Error: `{"code":5}`}}},
		{name: "no status is failing", body: `{"checks":{"x":{"ms":1}}}`, want: []Check{{Name: "x"}}},
		{name: "all ok", body: `{"status":"ok","checks":{"a":{"status":"ok"}}}`},
		{name: "cheap body without checks", body: `{"status":"ok"}`},
		{name: "cut body", body: `{"status":"degraded","checks":{"state_db":{"status":"err`},
		{name: "not JSON", body: `Service Unavailable`},
		{name: "checks not an object", body: `{"checks":[1,2]}`},
		{name: "a check not an object", body: `{"checks":{"a":"error","b":{"status":"error"}}}`, want: []Check{{Name: "b", Status: "error"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := failingChecks([]byte(c.body)); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("failingChecks() = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestCause(t *testing.T) {
	n := func(i int) *int { return &i }
	no := false
	cases := []struct {
		name string
		s    Summary
		want string
	}{
		{name: "reason only", s: Summary{Reason: "health"}, want: "health"},
		{name: "verdict sentence", s: Summary{Reason: "health", Verdict: &Verdict{Reason: "health", Sentence: "2 failed health probes"}},
			want: "health: 2 failed health probes"},
		{name: "warning bundle", s: Summary{Reason: "fd_pressure", Restart: &no},
			want: "fd_pressure (no restart: the child kept running)"},
		{name: "everything",
			s: Summary{Reason: "deep", Verdict: &Verdict{Reason: "deep", Sentence: "2 failed deep probes in a row"},
				FailingChecks: []Check{{Name: "state_db", Status: "error", Error: "OperationalError"}, {Name: "sessions", Status: "blocked"}},
				OpenFDs:       n(312), TopFiles: []FileCount{{Path: "/s/state.db", Count: 300}, {Path: "[pipe]", Count: 3}}},
			want: "deep: 2 failed deep probes in a row; failing deep checks: state_db error (OperationalError), sessions blocked; " +
				"300 of 312 open descriptors point to /s/state.db"},
		{name: "real WebUI proportions", s: Summary{Reason: "health", OpenFDs: n(366), TopFiles: []FileCount{{Path: "/s/state.db", Count: 238}}},
			want: "health; 238 of 366 open descriptors point to /s/state.db"},
		{name: "no leak: top file under half", s: Summary{Reason: "health", OpenFDs: n(100), TopFiles: []FileCount{{Path: "/x", Count: 40}}},
			want: "health"},
		{name: "no leak: few descriptors", s: Summary{Reason: "health", OpenFDs: n(12), TopFiles: []FileCount{{Path: "/dev/null", Count: 10}}},
			want: "health"},
		{name: "no descriptor count", s: Summary{Reason: "health", TopFiles: []FileCount{{Path: "/x", Count: 400}}}, want: "health"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := cause(c.s); got != c.want {
				t.Fatalf("cause() = %q\nwant      %q", got, c.want)
			}
		})
	}
}

func TestCountStates(t *testing.T) {
	in := []ThreadState{
		{State: "S", Wchan: "futex_wait_queue", Count: 1}, {State: "R", Wchan: "-"},
		{State: "S", Wchan: "futex_wait_queue", Count: 1}, {State: "S", Wchan: "do_epoll_wait", Count: 1},
		{State: "D", Wchan: "io_schedule", Count: 2},
	}
	want := []ThreadState{
		{State: "D", Wchan: "io_schedule", Count: 2}, {State: "S", Wchan: "futex_wait_queue", Count: 2},
		{State: "R", Wchan: "-", Count: 1}, {State: "S", Wchan: "do_epoll_wait", Count: 1},
	}
	if got := countStates(in); !reflect.DeepEqual(got, want) {
		t.Fatalf("countStates() = %+v, want %+v", got, want)
	}
	if got := countStates(nil); len(got) != 0 {
		t.Fatalf("countStates(nil) = %+v", got)
	}
}

func TestProbeFile(t *testing.T) {
	at := time.Date(2026, 11, 22, 11, 44, 7, 123e6, time.UTC)
	cases := []struct {
		name string
		p    Probe
		want []string
		not  []string
	}{
		{name: "answer", p: Probe{URL: "http://127.0.0.1:8787/health?deep=1", At: at, Result: "degraded", Detail: "degraded", MS: 3.5,
			Status: 503, Header: map[string]string{"Content-Type": "application/json", "Content-Length": "20"},
			Body: `{"status":"degraded"}`, BodyComplete: true},
			want: []string{"deep probe: GET http://127.0.0.1:8787/health?deep=1\n", "at 2026-11-22T11:44:07.123Z, took 3.5 ms\n",
				"result degraded: degraded\n", "\nHTTP 503\nContent-Length: 20\nContent-Type: application/json\n\n{\"status\":\"degraded\"}"},
			not: []string{"may go on"}},
		{name: "cut body", p: Probe{URL: "u", Result: "ok", Status: 200, Body: "{"},
			want: []string{"HTTP 200\n", "[the probe read 1 bytes of the body; it may go on]"}, not: []string{"0001"}},
		{name: "no answer", p: Probe{URL: "u", At: at, Result: "timeout", Detail: "context deadline exceeded"},
			want: []string{"result timeout: context deadline exceeded\nno HTTP answer\n"}, not: []string{"HTTP 0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(probeFile("deep", c.p))
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("probe file lacks %q:\n%s", w, got)
				}
			}
			for _, w := range c.not {
				if strings.Contains(got, w) {
					t.Errorf("probe file has %q:\n%s", w, got)
				}
			}
		})
	}
}

// deepBody is the WebUI's deep answer with state.db wedged.
const deepBody = `{"status":"degraded","checks":{"streams_lock":{"status":"ok","ms":0},"state_db":{"status":"error","error":"OperationalError","ms":2}}}`

// factsConfig is a test Config with every hook hsup provides.
func factsConfig(t *testing.T, streak string) Config {
	cfg, _ := testConfig(t)
	cfg.Service, cfg.Version = "web", "v1.2.3"
	at := time.Date(2026, 11, 22, 11, 44, 7, 123e6, time.UTC)
	cfg.Facts = func(pid int, reason string) Facts {
		return Facts{
			Restart: true, Verdict: &Verdict{Reason: reason, Sentence: "2 failed deep probes in a row, last: degraded"},
			Streak: streak, Argv: []string{"/usr/bin/python3", "server.py"},
			Probes: map[string]Probe{
				"cheap": {URL: "http://127.0.0.1:8787/health", At: at, Result: "ok", Status: 200, Body: `{"status":"ok"}`, BodyComplete: true},
				"deep": {URL: "http://127.0.0.1:8787/health?deep=1", At: at, Result: "degraded", Status: 503,
					Header: map[string]string{"Content-Type": "application/json"}, Body: deepBody, BodyComplete: true},
			},
			History: []ProbeRecord{{Kind: "cheap", At: at, Result: "ok", Status: 200, MS: 1.5}, {Kind: "deep", At: at, Result: "degraded", Status: 503, MS: 2}},
		}
	}
	cfg.Ledger = func() (string, int64) { return "/state/web/ledger.jsonl", 42 }
	return cfg
}

// TestCaptureFacts: a bundle names its service, hsup's version, the
// child's argv, the verdict's sentence, the failing deep check, the last
// probes (also as files) and the ledger line, and its cause says it all.
func TestCaptureFacts(t *testing.T) {
	c, path := holdStateDB(t, 300)
	cfg := factsConfig(t, "run/1")
	dir, err := New(cfg).Capture(context.Background(), c.pid, "deep", c.start)
	if dir == "" {
		t.Fatalf("Capture() wrote no bundle: %v", err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	if strings.Contains(string(raw), "0001-01-01") {
		t.Errorf("summary.json has a zero time:\n%s", raw)
	}
	s := readSummary(t, dir)
	if s.Service != "web" || s.HsupVersion != "v1.2.3" || strings.Join(s.Argv, " ") != "/usr/bin/python3 server.py" ||
		s.Restart == nil || !*s.Restart || s.Streak != "run/1" {
		t.Errorf("service %q version %q argv %q restart %v streak %q", s.Service, s.HsupVersion, s.Argv, s.Restart, s.Streak)
	}
	if s.Verdict == nil || s.Verdict.Reason != "deep" || !strings.HasPrefix(s.Verdict.Sentence, "2 failed deep probes") {
		t.Errorf("verdict %+v", s.Verdict)
	}
	if want := []Check{{Name: "state_db", Status: "error", Error: "OperationalError"}}; !reflect.DeepEqual(s.FailingChecks, want) {
		t.Errorf("failing_checks %+v, want %+v", s.FailingChecks, want)
	}
	if d := s.Probes["deep"]; d.Status != 503 || d.Body != deepBody || d.File != "probe-deep.txt" || s.Probes["cheap"].File != "probe-cheap.txt" {
		t.Errorf("probes %+v", s.Probes)
	}
	if len(s.ProbeHistory) != 2 || s.Ledger == nil || s.Ledger.Seq != 42 || s.Ledger.File != "/state/web/ledger.jsonl" {
		t.Errorf("probe_history %+v ledger %+v", s.ProbeHistory, s.Ledger)
	}
	for _, want := range []string{"deep: 2 failed deep probes", "state_db error (OperationalError)", "open descriptors point to " + path} {
		if !strings.Contains(s.Cause, want) {
			t.Errorf("cause %q lacks %q", s.Cause, want)
		}
	}
	deep, _ := os.ReadFile(filepath.Join(dir, "probe-deep.txt"))
	if !strings.Contains(string(deep), "HTTP 503\n") || !strings.Contains(string(deep), deepBody) {
		t.Errorf("probe-deep.txt:\n%s", deep)
	}
	mustExist(t, dir, "probe-cheap.txt")
	checkModes(t, dir)
	var m marker
	b, _ := os.ReadFile(filepath.Join(dir, markerName))
	if err := json.Unmarshal(b, &m); err != nil || m.Service != "web" || m.Streak != "run/1" {
		t.Errorf("marker %s (%v), want service web and streak run/1", b, err)
	}
}

// TestCaptureRetentionStreak: with Keep=2 a crash loop's captures leave
// its first bundle and the two newest; another service's bundle in the
// same directory is left alone.
func TestCaptureRetentionStreak(t *testing.T) {
	c, _ := holdStateDB(t, 1)
	cfg := factsConfig(t, "run/1")
	cfg.Keep = 2
	clock := time.Date(2026, 11, 22, 11, 44, 7, 123e6, time.UTC)
	cfg.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	other := cfg
	other.Service = "api"
	if dir, err := New(other).Capture(context.Background(), c.pid, "health", c.start); dir == "" {
		t.Fatalf("Capture() of the other service wrote no bundle: %v", err)
	}
	capt := New(cfg)
	var dirs []string
	for range 5 {
		dir, err := capt.Capture(context.Background(), c.pid, "startup", c.start)
		if dir == "" {
			t.Fatalf("Capture() wrote no bundle: %v", err)
		}
		dirs = append(dirs, dir)
	}
	saved, err := List(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range saved {
		got = append(got, s.Service+" "+s.ID)
	}
	id := filepath.Base
	want := []string{"web " + id(dirs[4]), "web " + id(dirs[3]), "web " + id(dirs[0]), "api " + got[len(got)-1][4:]}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("bundles left, newest first: %v\nwant %v", got, want)
	}
}

// TestList: bundles are listed newest first with their files, sizes and
// summaries; a directory that does not exist holds none.
func TestList(t *testing.T) {
	if saved, err := List(filepath.Join(t.TempDir(), "none")); saved != nil || err != nil {
		t.Fatalf("List(missing) = %v, %v; want nothing", saved, err)
	}
	cfg := factsConfig(t, "")
	capt := New(cfg)
	first, _ := capt.Capture(context.Background(), os.Getpid(), "health", time.Time{})
	second, _ := capt.Capture(context.Background(), os.Getpid(), "deep", time.Time{})
	if err := os.Mkdir(filepath.Join(cfg.Dir, "notes"), 0o700); err != nil {
		t.Fatal(err)
	}
	saved, err := List(cfg.Dir)
	if err != nil || len(saved) != 2 {
		t.Fatalf("List() = %+v, %v; want two bundles", saved, err)
	}
	if saved[0].Dir != second || saved[1].Dir != first || saved[0].Seq != 2 || saved[0].PID != os.Getpid() {
		t.Fatalf("List() = %s (seq %d), %s; want %s then %s", saved[0].Dir, saved[0].Seq, saved[1].Dir, second, first)
	}
	s := saved[0]
	if s.Summary == nil || s.Summary.Reason != "deep" || s.Service != "web" || s.Written.IsZero() {
		t.Fatalf("newest: %+v summary %+v", s, s.Summary)
	}
	names := map[string]bool{}
	for _, f := range s.Files {
		names[f.Name] = f.Size > 0
	}
	if !names["summary.json"] || !names["probe-deep.txt"] || names[markerName] || s.Size() <= 0 {
		t.Fatalf("files %+v size %d", s.Files, s.Size())
	}
	b, err := ReadFile(s, "probe-deep.txt", 1<<20)
	if err != nil || !strings.Contains(string(b), deepBody) {
		t.Fatalf("ReadFile(probe-deep.txt) = %q, %v", b, err)
	}
	if _, err := ReadFile(s, "summary.json", 10); err == nil {
		t.Fatalf("ReadFile past its limit: no error")
	}
}
