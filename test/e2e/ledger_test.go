package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
)

// readLedger reads every line of the service's ledger files, oldest file
// first, each line one JSON object (the documented format, read without
// hsup's own reader).
func readLedger(t *testing.T, dir string) []obj {
	t.Helper()
	var lines []obj
	for _, name := range []string{"ledger.jsonl.2", "ledger.jsonl.1", "ledger.jsonl"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l obj
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("%s: a line that is not JSON: %v\n%s", name, err, sc.Bytes())
			}
			lines = append(lines, l)
		}
	}
	return lines
}

// find is the first line of event for which match is true.
func find(t *testing.T, lines []obj, event string, match func(obj) bool) obj {
	t.Helper()
	for _, l := range lines {
		if l.str("event") == event && match(l) {
			return l
		}
	}
	t.Fatalf("no %s line as wanted in the ledger:\n%s", event, dumpLines(lines))
	return nil
}

func dumpLines(lines []obj) string {
	var b strings.Builder
	for _, l := range lines {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// checkLines: every line has the next seq, a UTC time stamp with
// milliseconds, the service's name and an event, and no zero time.
func checkLines(t *testing.T, lines []obj, name string, firstSeq float64) {
	t.Helper()
	for i, l := range lines {
		if l.num("seq") != firstSeq+float64(i) {
			t.Errorf("line %d has seq %v, want %v", i, l.get("seq"), firstSeq+float64(i))
		}
		if ts, err := time.Parse("2006-01-02T15:04:05.000Z", l.str("ts")); err != nil || ts.Year() < 2000 {
			t.Errorf("line %d: ts %q is not RFC 3339 ms UTC", i, l.str("ts"))
		}
		if l.str("name") != name || l.str("event") == "" {
			t.Errorf("line %d: name %q event %q", i, l.str("name"), l.str("event"))
		}
		if j, _ := json.Marshal(l); strings.Contains(string(j), "0001-01-01") {
			t.Errorf("line %d holds a zero time: %s", i, j)
		}
	}
}

// TestLedgerHealthRestart: the ledger tells a health restart from start to
// the replacement: the verdict with its reason, sentence, failures and
// probe history, the bundle with its path, the stop, the exit and the
// backoff, in order.
func TestLedgerHealthRestart(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	p, app := startDemoIn(t, state)
	if code, body := hsuptest.Post(t, app+"/demo/noaccept"); code != http.StatusOK {
		t.Fatalf("flip noaccept: %d %s", code, body)
	}
	_, i := p.WaitLine(t, 0, lineWait+margin, "child backoff", hsuptest.State("backoff"))
	p.WaitLine(t, i, lineWait, "the replacement running", hsuptest.State("running"))
	p.Signal(t, syscall.SIGTERM)
	p.Wait(t, exitWait)

	lines := readLedger(t, filepath.Join(state, "demo"))
	checkLines(t, lines, "demo", 1)
	var events []string
	for _, l := range lines {
		events = append(events, l.str("event"))
	}
	want := []string{"hsup_started", "child_started", "healthy", "degraded", "bundle_written", "stopping", "exited",
		"backoff", "child_started", "healthy", "stopping", "exited", "hsup_stopped"}
	if !slices.Equal(events, want) {
		t.Fatalf("events %v\nwant   %v\n%s", events, want, dumpLines(lines))
	}
	start := lines[0]
	if start.str("version") == "" || start.num("hsup_pid") != float64(p.Cmd.Process.Pid) || start.get("argv") == nil ||
		!strings.HasPrefix(start.str("settings.health-url"), "http://127.0.0.1:") || start.str("settings.health-interval") != interval.String() {
		t.Errorf("hsup_started %v", start)
	}
	checkDegraded(t, lines[3], lines[1].num("pid"))
	bundle := lines[4]
	if bundle.get("restart") != true || bundle.str("reason") != "health" || bundle.num("took_ms") < 0 || bundle.get("abandoned") != nil {
		t.Errorf("bundle_written %v", bundle)
	}
	checkLinks(t, bundle.str("path"), filepath.Join(state, "demo", "ledger.jsonl"), lines[3].num("seq"))
	if stop := lines[5]; stop.str("signal") != "SIGTERM" || stop.num("grace_ms") != float64(stopGrace.Milliseconds()) || stop.str("reason") != "health" {
		t.Errorf("stopping %v", stop)
	}
	if exited := lines[6]; exited.num("code") < 0 || exited.str("reason") != "health" {
		t.Errorf("exited %v", exited)
	}
	backoff := lines[7]
	if backoff.str("reason") != "health" || backoff.str("sentence") != lines[3].str("sentence") || backoff.num("attempt") != 1 ||
		backoff.num("restarts") != 1 || backoff.get("delay_ms") != float64(0) {
		t.Errorf("backoff %v", backoff)
	}
	if lines[8].get("restart") != true || lines[1].get("restart") != nil {
		t.Errorf("child_started restart flags: %v, %v", lines[1], lines[8])
	}
	if end := lines[12]; end.num("code") != 0 {
		t.Errorf("hsup_stopped %v, want code 0", end)
	}
}

// checkLinks: the ledger names the bundle (its path), and the bundle's
// summary.json names the ledger line of the verdict it was captured for.
func checkLinks(t *testing.T, bundle, ledgerFile string, seq float64) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bundle, "summary.json"))
	if err != nil {
		t.Fatalf("the ledger's bundle: %v", err)
	}
	var sum obj
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	if sum.str("ledger.file") != ledgerFile || sum.num("ledger.seq") != seq {
		t.Errorf("summary.json links to the ledger at %v, want %s line %v", sum.get("ledger"), ledgerFile, seq)
	}
}

// checkDegraded: the verdict's line carries why, with the evidence.
func checkDegraded(t *testing.T, d obj, pid float64) {
	t.Helper()
	if d.str("reason") != "health" || d.str("sentence") == "" || d.num("pid") != pid {
		t.Errorf("degraded %v, want reason health, a sentence and pid %v", d, pid)
	}
	if d.num("failures") < failures || d.num("first_failure_ms") <= 0 || d.num("budget_ms") != float64((failures*interval+timeout).Milliseconds()) {
		t.Errorf("degraded failures %v, first failure %v ms, budget %v ms", d.get("failures"), d.get("first_failure_ms"), d.get("budget_ms"))
	}
	probes, _ := d.get("probes").([]any)
	if len(probes) == 0 {
		t.Fatalf("degraded without its probe history: %v", d)
	}
	failed := 0
	for _, x := range probes {
		pr := obj(x.(map[string]any))
		if pr.str("kind") == "" || pr.str("result") == "" || pr.num("latency_ms") < 0 {
			t.Errorf("probe %v", pr)
		}
		checkTime(t, pr, "at")
		if pr.str("kind") == "cheap" && pr.str("result") != "ok" {
			failed++
		}
	}
	if failed < failures {
		t.Errorf("%d failed cheap probes in the history, want at least %d: %v", failed, failures, probes)
	}
}

// TestLedgerSeqAcrossRestarts: a second hsup of the service continues the
// first one's numbering in the same file.
func TestLedgerSeqAcrossRestarts(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	for range 2 {
		runOnce(t, state)
	}
	lines := readLedger(t, filepath.Join(state, "svc"))
	checkLines(t, lines, "svc", 1)
	var starts, stops []float64
	for _, l := range lines {
		switch l.str("event") {
		case "hsup_started":
			starts = append(starts, l.num("seq"))
		case "hsup_stopped":
			stops = append(stops, l.num("seq"))
		}
	}
	if len(starts) != 2 || len(stops) != 2 || starts[1] != stops[0]+1 {
		t.Errorf("hsup_started at %v, hsup_stopped at %v: want two runs, the second right after the first\n%s", starts, stops, dumpLines(lines))
	}
}

// runOnce runs hsup over the wait-term helper as service svc under state,
// until the helper is ready, then stops it.
func runOnce(t *testing.T, state string) {
	t.Helper()
	args, env := helperCmd(t, "wait-term", "0")
	p := hsuptest.Start(t, runArgs(t, append([]string{"--state-dir=" + state, "--name=svc"}, args...)...), env)
	ready(p, t)
	p.Signal(t, syscall.SIGTERM)
	if code := p.Wait(t, exitWait); code != 0 {
		t.Fatalf("hsup exit %d, want 0", code)
	}
}

// TestLedgerRotationBound: a ledger at its size is rotated when hsup
// writes to it: ledger.jsonl becomes .1, .1 becomes .2, the oldest goes,
// so the ledger stays within 3 files of 5 MiB; the numbering goes on, and
// hsup status still reads it.
func TestLedgerRotationBound(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	dir := filepath.Join(state, "svc")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	const full = 5 << 20
	oldest := seed(t, filepath.Join(dir, "ledger.jsonl.2"), 1, 1<<20) // this file goes
	seq := seed(t, filepath.Join(dir, "ledger.jsonl.1"), oldest, full-100)
	last := seed(t, filepath.Join(dir, "ledger.jsonl"), seq, full-100) - 1
	runOnce(t, state)

	var names []string
	var total int64
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), "ledger") {
			fi, _ := de.Info()
			names, total = append(names, de.Name()), total+fi.Size()
		}
	}
	if want := []string{"ledger.jsonl", "ledger.jsonl.1", "ledger.jsonl.2"}; !slices.Equal(names, want) {
		t.Errorf("ledger files %v, want %v", names, want)
	}
	if total > 3*full {
		t.Errorf("ledger holds %d bytes, bound %d", total, 3*full)
	}
	lines := readLedger(t, dir)
	checkLines(t, lines, "svc", float64(oldest))
	if lines[len(lines)-1].str("event") != "hsup_stopped" || find(t, lines, "hsup_started", func(l obj) bool { return l.num("seq") == float64(last+1) }) == nil {
		t.Errorf("the new run does not continue at seq %d", last+1)
	}
	r, code := status(t, state)
	if code != 3 || r.str("ledger.last_event") != "hsup_stopped" {
		t.Errorf("status over a rotated ledger: exit %d, %v", code, r)
	}
}

// seed writes lines of service svc, numbered from seq, until the file holds
// size bytes (less than one line more); it returns the next seq.
func seed(t *testing.T, path string, seq, size int) int {
	t.Helper()
	var b bytes.Buffer
	ts := time.Now().Add(-48 * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
	pad := strings.Repeat("x", 400)
	for {
		line := fmt.Sprintf(`{"seq":%d,"ts":%q,"event":"healthy","name":"svc","pid":%d,"sentence":%q}`+"\n", seq, ts, 1000+seq, pad)
		if b.Len()+len(line) > size {
			break
		}
		b.WriteString(line)
		seq++
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return seq
}
