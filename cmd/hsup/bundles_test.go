package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/diagnose"
)

func TestBundleSources(t *testing.T) {
	cases := []struct {
		name, flagName, diagDir, base string
		services                      []string
		want                          []bundleSource
		bad                           bool
	}{
		{name: "diag dir as given", diagDir: "/d", base: "/b", want: []bundleSource{{dir: "/d"}}},
		{name: "diag dir shared: only the name's", flagName: "web", diagDir: "/d", base: "/b", want: []bundleSource{{dir: "/d", service: "web"}}},
		{name: "name: its default and the base", flagName: "web", base: "/b",
			want: []bundleSource{{dir: "/b/web", service: "web"}, {dir: "/b", service: "web"}}},
		{name: "no name: the base and every service", base: "/b", services: []string{"api", "web"},
			want: []bundleSource{{dir: "/b"}, {dir: "/b/api"}, {dir: "/b/web"}}},
		{name: "no home", flagName: "web", bad: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := bundleSources(c.flagName, c.diagDir, c.base, c.services)
			if (err != nil) != c.bad || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("bundleSources() = %+v, %v; want %+v (error %v)", got, err, c.want, c.bad)
			}
		})
	}
}

// saved is a listed bundle for the formatting tests.
func saved(id, service string, pid int, written time.Time, s *diagnose.Summary) diagnose.Saved {
	return diagnose.Saved{Dir: "/d/" + id, ID: id, Service: service, PID: pid, Written: written, Summary: s,
		Files: []diagnose.File{{Name: "lsof.txt", Size: 30 << 10}, {Name: "summary.json", Size: 4100}}}
}

var listT0 = time.Date(2026, 5, 9, 10, 0, 1, 0, time.UTC)

func TestPickBundle(t *testing.T) {
	found := []diagnose.Saved{
		saved("20260509T100003.000Z-pid3-deep", "web", 3, listT0, nil),
		saved("20260509T100002.000Z-pid2-health", "web", 2, listT0, nil),
		saved("20260509T100002.000Z-pid2-health-2", "web", 2, listT0, nil),
		saved("20260509T100001.000Z-pid1-startup", "web", 1, listT0, nil),
	}
	cases := []struct {
		id      string
		want    string // ID, "" for an error
		missing bool   // the error is errNoBundle
	}{
		{id: "latest", want: "20260509T100003.000Z-pid3-deep"},
		{id: "20260509T100001", want: "20260509T100001.000Z-pid1-startup"},
		{id: "20260509T100002.000Z-pid2-health", want: "20260509T100002.000Z-pid2-health"}, // exact beats prefix
		{id: "20260509T100002"},         // two start so
		{id: "2026"},                    // all do
		{id: "20260101", missing: true}, // none does
		{id: "", missing: true},         // not a prefix of everything
		{id: "pid3", missing: true},     // prefixes only
		{id: "20260509T100003.000Z-pid3-deep-", missing: true},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			b, err := pickBundle(found, c.id)
			if b.ID != c.want || (err == nil) != (c.want != "") || errors.Is(err, errNoBundle) != c.missing {
				t.Fatalf("pickBundle(%q) = %q, %v; want %q (missing %v)", c.id, b.ID, err, c.want, c.missing)
			}
		})
	}
	if _, err := pickBundle(nil, "latest"); !errors.Is(err, errNoBundle) {
		t.Fatalf("latest of none: %v", err)
	}
}

func TestFormatList(t *testing.T) {
	sum := &diagnose.Summary{Reason: "deep", Cause: "deep: 2 failed deep probes in a row; failing deep checks: state_db error (OperationalError); " +
		"300 of 312 open descriptors point to /tmp/x/state.db"}
	one := []diagnose.Saved{
		saved("20260509T100001.000Z-pid41-deep", "web", 41, listT0, sum),
		saved("20260509T090000.000Z-pid40-health", "web", 40, listT0.Add(-time.Hour), nil),
	}
	var b bytes.Buffer
	if err := formatList(&b, one, time.UTC); err != nil {
		t.Fatal(err)
	}
	want := "TIME                 PID  REASON  SIZE      ID                                 CAUSE\n" +
		"2026-05-09 10:00:01  41   deep    34.0 KiB  20260509T100001.000Z-pid41-deep    deep: 2 failed deep probes in a row; failing deep checks: state_db error (OperationalError); 300 ...\n" +
		"2026-05-09 09:00:01  40   ?       34.0 KiB  20260509T090000.000Z-pid40-health  (no summary.json: the capture was cut short)\n"
	if b.String() != want {
		t.Errorf("formatList:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	two := append(one, saved("20260509T080000.000Z-pid9-startup", "api\x1b[31m", 9, listT0.Add(-2*time.Hour), &diagnose.Summary{Reason: "startup", Cause: "startup"}))
	if err := formatList(&b, two, time.UTC); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[0], "TIME                 SERVICE  ") || !strings.Contains(lines[3], "api\uFFFD[31m") {
		t.Errorf("several services: want a SERVICE column, control characters replaced:\n%s", b.String())
	}
}

func TestFormatShow(t *testing.T) {
	n, up, nofile, threads := 312, 75.5, uint64(4096), 7
	s := &diagnose.Summary{
		Reason: "deep", Cause: "deep: 2 failed deep probes; failing deep checks: state_db error (OperationalError)",
		UptimeSeconds: &up, OpenFDs: &n, NofileSoft: &nofile, FDSource: "lsof", Threads: &threads,
		TopFiles:      []diagnose.FileCount{{Path: "/tmp/x/state.db", Count: 300}, {Path: "[pipe]", Count: 3}},
		ThreadStates:  []diagnose.ThreadState{{State: "S", Wchan: "futex_do_wait", Count: 6}, {State: "S", Wchan: "do_epoll_wait", Count: 1}},
		FailingChecks: []diagnose.Check{{Name: "state_db", Status: "error", Error: "OperationalError"}},
		Probes: map[string]diagnose.Probe{
			"deep":  {Result: "degraded", Status: 503, MS: 1.7, At: listT0, Detail: "degraded", File: "probe-deep.txt"},
			"cheap": {Result: "timeout", MS: 2000, At: listT0, Detail: "context deadline exceeded", File: "probe-cheap.txt"},
		},
		Ledger: &diagnose.LedgerRef{File: "/s/web/ledger.jsonl", Seq: 42},
	}
	b := saved("20260509T100001.000Z-pid41-deep", "web", 41, listT0, s)
	var tail strings.Builder
	for i := range 30 {
		tail.WriteString("line " + string(rune('a'+i%26)) + "\n")
	}
	tail.WriteString("=== hsup: child pid 41 started 2026-05-09T09:58:45.000Z ===\nevil \x1b]0;pwned\x07 title\n")
	var out bytes.Buffer
	if err := formatShow(&out, b, []byte(tail.String()), time.UTC); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"bundle   /d/20260509T100001.000Z-pid41-deep\n",
		"service  web, pid 41, up 1m15.5s, captured 2026-05-09 10:00:01 UTC\n",
		"cause    deep: 2 failed deep probes; failing deep checks: state_db error (OperationalError)\n",
		"ledger   /s/web/ledger.jsonl, line seq 42\n",
		"open files: 312 (from lsof, soft limit 4096)\n     300  /tmp/x/state.db\n       3  [pipe]\n",
		"threads: 7 (threads.txt)\n       6  S futex_do_wait\n       1  S do_epoll_wait\n",
		"failing deep checks:\n  state_db: error (OperationalError)\n",
		"last probes:\n  cheap timeout, no HTTP answer, 2000 ms at 10:00:01: context deadline exceeded (probe-cheap.txt)\n" +
			"  deep  degraded, HTTP 503, 1.7 ms at 10:00:01: degraded (probe-deep.txt)\n",
		"last output (output-tail.txt, last 20 lines):\n",
		"  | === hsup: child pid 41 started 2026-05-09T09:58:45.000Z ===\n  | evil \uFFFD]0;pwned\uFFFD title\n",
		"files:\n   30.0 KiB  /d/20260509T100001.000Z-pid41-deep/lsof.txt\n    4.0 KiB  /d/20260509T100001.000Z-pid41-deep/summary.json\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("show lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "  | ") != 20 || strings.ContainsRune(got, '\x1b') {
		t.Errorf("want the last 20 lines of output, no escape characters:\n%s", got)
	}

	out.Reset()
	if err := formatShow(&out, saved("x", "", 5, listT0, nil), nil, time.UTC); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"service  -, pid 5, captured", "cause    no summary.json", "open files: unknown", "last output: none"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show of a bundle without summary lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPrintableClipSize(t *testing.T) {
	for in, want := range map[string]string{
		"plain\ttab": "plain\ttab", "esc\x1b[2J": "esc\uFFFD[2J", "bad\xffutf8": "bad\uFFFDutf8",
		"c1\u009b31m": "c1\uFFFD31m", "bidi\u202eevil": "bidi\uFFFDevil", "newline\n": "newline\uFFFD", "é ünïcode": "é ünïcode",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
	if got := clip("ééééé", 4); got != "é..." {
		t.Errorf("clip = %q", got)
	}
	if got := clip("abc", 3); got != "abc" {
		t.Errorf("clip = %q", got)
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestNewestFirst(t *testing.T) {
	a := saved("a", "web", 1, listT0, nil)
	b := saved("b", "web", 2, listT0.Add(time.Second), nil)
	got := newestFirst([]diagnose.Saved{a, b, a})
	if len(got) != 2 || got[0].ID != "b" || got[1].ID != "a" {
		t.Fatalf("newestFirst = %v", got)
	}
}

// TestBundlesCommand runs the command in-process over bundles captured
// of this test process: flags before or after show, exit codes.
func TestBundlesCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "diag")
	capt := diagnose.New(diagnose.Config{Dir: dir, Service: "web", Timeout: 5 * time.Second})
	var ids []string
	for _, reason := range []string{"health", "deep"} {
		b, err := capt.Capture(context.Background(), os.Getpid(), reason, time.Now().Add(-time.Minute))
		if b == "" {
			t.Fatalf("capture: %v", err)
		}
		ids = append(ids, filepath.Base(b))
	}
	cases := []struct {
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{args: []string{"bundles", "--diag-dir", dir}, out: ids[1]},
		{args: []string{"bundles", "--diag-dir", dir, "--name", "api"}, out: "no bundles in " + dir},
		{args: []string{"bundles", "show", "--diag-dir", dir, "latest"}, out: "bundle   " + filepath.Join(dir, ids[1])},
		{args: []string{"bundles", "--diag-dir", dir, "show", ids[0][:len(ids[0])-3]}, out: "bundle   " + filepath.Join(dir, ids[0])},
		{args: []string{"bundles", "--diag-dir", dir, "--name", "web", "show", ids[0]}, out: "cause    health"},
		{args: []string{"bundles", "show", "--diag-dir", dir, "20990101"}, code: exitNoBundle, err: `no such bundle "20990101"`},
		{args: []string{"bundles", "show", "--diag-dir", dir}, code: 2, err: "give one bundle"},
		{args: []string{"bundles", "--diag-dir", dir, "latest"}, code: 2, err: "hsup bundles show latest"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"hsup"}, c.args...), &out, &errb)
			if code != c.code || !strings.Contains(out.String(), c.out) || !strings.Contains(errb.String(), c.err) {
				t.Fatalf("exit %d, stdout:\n%s\nstderr: %s\nwant exit %d, stdout with %q, stderr with %q", code, out.String(), errb.String(), c.code, c.out, c.err)
			}
		})
	}
}

func TestOneLineCause(t *testing.T) {
	n := func(i int) *int { return &i }
	checks := []diagnose.Check{{Name: "state_db", Status: "error", Error: "OperationalError"}, {Name: "sessions", Status: "blocked"}}
	leak := []diagnose.FileCount{{Path: "/tmp/x/state.db", Count: 300}}
	verdict := &diagnose.Verdict{Reason: "deep", Sentence: "2 failed deep probes in a row"}
	cases := []struct {
		name string
		s    diagnose.Summary
		want string
	}{
		{name: "checks and leak", s: diagnose.Summary{FailingChecks: checks, OpenFDs: n(310), TopFiles: leak, Verdict: verdict},
			want: "state_db error (OperationalError); sessions blocked; 300 of 310 fds on state.db"},
		{name: "leak only", s: diagnose.Summary{OpenFDs: n(310), TopFiles: leak, Cause: "health"}, want: "300 of 310 fds on state.db"},
		{name: "no leak: the verdict", s: diagnose.Summary{OpenFDs: n(1000), TopFiles: leak, Verdict: verdict}, want: "2 failed deep probes in a row"},
		{name: "nothing else: the cause", s: diagnose.Summary{Cause: "fd_pressure (no restart: the child kept running)"},
			want: "fd_pressure (no restart: the child kept running)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := oneLineCause(c.s); got != c.want {
				t.Fatalf("oneLineCause() = %q, want %q", got, c.want)
			}
		})
	}
}
