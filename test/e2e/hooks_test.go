package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
)

// The event hooks (--on-event) of a real hsup: what a hook gets for each
// event, and that a hook that hangs is killed while the restart goes on.

// hookEvent is the documented JSON of a hook's stdin; pointers tell an
// absent field from a zero one.
type hookEvent struct {
	Event    string    `json:"event"`
	Name     string    `json:"name"`
	Reason   string    `json:"reason"`
	Sentence string    `json:"sentence"`
	Pid      *int      `json:"pid"`
	Bundle   *string   `json:"bundle"`
	Restarts *int      `json:"restarts"`
	Code     *int      `json:"code"`
	Time     time.Time `json:"time"`
}

// Hook programs, as an operator writes them (sh, no jq). HOOK_OUT comes
// from hsup's environment.
const (
	recordHook = `#!/bin/sh
# each event: its JSON line, and its HSUP_ variables
line=$(cat)
printf '%s\n' "$line" >> "$HOOK_OUT/events.jsonl"
printf '%s|%s|%s|%s\n' "$HSUP_EVENT" "$HSUP_NAME" "$HSUP_REASON" "$HSUP_BUNDLE" >> "$HOOK_OUT/env"
`
	hangHook = `#!/bin/sh
# hangs on degraded, with a grandchild in its group
if [ "$HSUP_EVENT" = degraded ]; then
  sleep 300 &
  echo "$$ $!" > "$HOOK_OUT/hang.pids"
  wait
fi
`
	failHook = `#!/bin/sh
echo "boom: $HSUP_EVENT" >&2
exit 3
`
)

// writeHook writes an executable hook program and returns its path.
func writeHook(t *testing.T, dir, name, script string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// readEvents decodes the events a record hook wrote, strictly: a field
// the documentation does not name fails the test.
func readEvents(t *testing.T, out string) ([]hookEvent, []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var events []hookEvent
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var e hookEvent
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("hook stdin %s: %v", sc.Bytes(), err)
		}
		events = append(events, e)
	}
	env, err := os.ReadFile(filepath.Join(out, "env"))
	if err != nil {
		t.Fatal(err)
	}
	return events, strings.Split(strings.TrimSpace(string(env)), "\n")
}

// hookRan matches hsup's line for a run of program for event.
func hookRan(event, program string) func(hsuptest.Line) bool {
	return func(l hsuptest.Line) bool {
		return l.Msg() == "hook ran" && l.Str("event") == event && l.Str("program") == program
	}
}

// startHookedDemo runs `hsup demo` with the hooks and extra flags, and
// waits for the demo app to run.
func startHookedDemo(t *testing.T, out string, extra ...string) (*hsuptest.Proc, string, int) {
	t.Helper()
	port := hsuptest.FreePort(t)
	args := append([]string{"demo", "--port=" + strconv.Itoa(port), "--diag-dir=" + filepath.Join(out, "bundles")},
		healthFlagsDeep(10*time.Second)...)
	p := hsuptest.Start(t, append(args, extra...), "HOOK_OUT="+out)
	_, from := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
	return p, "127.0.0.1:" + strconv.Itoa(port), from
}

func TestHookEventsOfAHealthRestart(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	rec := writeHook(t, t.TempDir(), "record", recordHook)
	p, addr, from := startHookedDemo(t, out, "--on-event="+rec)
	first := p.Lines()[from].Int("pid")
	if code, body := hsuptest.Post(t, "http://"+addr+"/demo/noaccept"); code != http.StatusOK {
		t.Fatalf("flip noaccept: %d %s", code, body)
	}
	_, i := p.WaitLine(t, from+1, lineWait, "the replacement running", hsuptest.State("running"))
	second := p.Lines()[i].Int("pid")
	p.WaitLine(t, from, lineWait, "the recovered hook", hookRan("recovered", rec))
	events, env := readEvents(t, out)
	if len(events) != 3 || events[0].Event != "degraded" || events[1].Event != "restarted" || events[2].Event != "recovered" {
		t.Fatalf("events %+v, want degraded, restarted, recovered", events)
	}
	d, r, v := events[0], events[1], events[2]
	if d.Bundle == nil || !isDir(*d.Bundle) || filepath.Dir(*d.Bundle) != filepath.Join(out, "bundles") {
		t.Errorf("degraded bundle %v: want the bundle directory written before the hook ran", d.Bundle)
	}
	for _, e := range events {
		if e.Name != "demo" || e.Reason != "health" || !strings.Contains(e.Sentence, "failed health probes") ||
			e.Bundle == nil || *e.Bundle != *d.Bundle || e.Restarts == nil || e.Time.IsZero() {
			t.Errorf("%s: %+v", e.Event, e)
		}
	}
	if *d.Pid != first || *d.Restarts != 0 || d.Code != nil {
		t.Errorf("degraded: pid %d restarts %d code %v; want pid %d, 0 restarts, no code", *d.Pid, *d.Restarts, d.Code, first)
	}
	if *r.Pid != second || *r.Restarts != 1 || r.Code == nil || *v.Pid != second || *v.Restarts != 1 || v.Code != nil {
		j := func(e hookEvent) string { b, _ := json.Marshal(e); return string(b) }
		t.Errorf("restarted %s, recovered %s: want pid %d, 1 restart, the old child's status on restarted only", j(r), j(v), second)
	}
	if !d.Time.Before(r.Time) || !r.Time.Before(v.Time) {
		t.Errorf("times out of order: %v %v %v", d.Time, r.Time, v.Time)
	}
	for i, e := range events {
		if want := e.Event + "|demo|health|" + *d.Bundle; env[i] != want {
			t.Errorf("environment of %s: %q, want %q", e.Event, env[i], want)
		}
	}
}

func TestHangingHookIsKilledWhileTheRestartGoesOn(t *testing.T) {
	t.Parallel()
	const hookTimeout = 5 * time.Second
	out, bin := t.TempDir(), t.TempDir()
	hang, fail, rec := writeHook(t, bin, "hang", hangHook), writeHook(t, bin, "fail", failHook), writeHook(t, bin, "record", recordHook)
	metrics := "127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t))
	p, addr, from := startHookedDemo(t, out, "--on-event="+hang, "--on-event="+fail, "--on-event="+rec,
		"--on-event-timeout="+hookTimeout.String(), "--metrics-addr="+metrics)
	flipped := time.Now()
	if code, body := hsuptest.Post(t, "http://"+addr+"/demo/noaccept"); code != http.StatusOK {
		t.Fatalf("flip noaccept: %d %s", code, body)
	}
	verdict, _ := p.WaitLine(t, from, lineWait, "the degraded transition", restarting)
	running, ran := p.WaitLine(t, from+1, lineWait, "the replacement running", hsuptest.State("running"))
	budget := failures*(interval+timeout) + timeout + stopGrace + margin // as TestDemoSwitches
	if d := lineTime(t, running).Sub(flipped); d > budget {
		t.Errorf("replacement running %v after the flip, budget %v", d, budget)
	}
	if d := lineTime(t, running).Sub(lineTime(t, verdict)); d >= hookTimeout {
		t.Errorf("verdict to replacement running took %v: the restart waited for the hanging hook (%v)", d, hookTimeout)
	}
	_, recovered := p.WaitLine(t, from, lineWait, "the record hook's recovered", hookRan("recovered", rec))
	killed, k := p.WaitLine(t, from, hookTimeout+lineWait, "the hanging hook killed", func(l hsuptest.Line) bool {
		return l.Msg() == "hook timeout: it ran past --on-event-timeout and its process group was killed" && l.Str("program") == hang
	})
	if ran > k || recovered > k {
		t.Errorf("the replacement ran (line %d) and the other hook ran (line %d) only after the hang was killed (line %d)", ran, recovered, k)
	}
	t.Logf("flip to replacement running %v; verdict to replacement running %v; hanging hook killed after %.2fs (timeout %v)",
		lineTime(t, running).Sub(flipped).Round(time.Millisecond), lineTime(t, running).Sub(lineTime(t, verdict)).Round(time.Millisecond),
		killed["took"].(float64), hookTimeout)
	if took := killed["took"].(float64); took < hookTimeout.Seconds() || took > hookTimeout.Seconds()+2 {
		t.Errorf("the hanging hook was killed after %vs, want its timeout %v", took, hookTimeout)
	}
	b, err := os.ReadFile(filepath.Join(out, "hang.pids"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		waitNoProcess(t, pid, 5*time.Second)
	}
	l, _ := p.WaitLine(t, from, lineWait, "the failing hook's line", func(l hsuptest.Line) bool {
		return l.Msg() == "hook failed: it exited with an error" && l.Str("event") == "degraded"
	})
	if l.Str("program") != fail || l.Str("output") != "boom: degraded" || l.Str("result") != "failed" {
		t.Errorf("failure line %v", l)
	}
	hookRuns(t, "http://"+metrics+"/metrics", map[string]float64{
		`hsup_hook_runs_total{event="degraded",result="timeout"}`:  1,
		`hsup_hook_runs_total{event="degraded",result="failed"}`:   1,
		`hsup_hook_runs_total{event="degraded",result="ok"}`:       1, // record
		`hsup_hook_runs_total{event="restarted",result="ok"}`:      2, // record, then hang once it is killed
		`hsup_hook_runs_total{event="recovered",result="failed"}`:  1,
		`hsup_hook_runs_total{event="recovered",result="dropped"}`: 0,
	})
}

// hookRuns waits, bounded, for the hook counters to read want.
func hookRuns(t *testing.T, url string, want map[string]float64) {
	t.Helper()
	deadline := time.Now().Add(lineWait)
	for {
		got, _ := hsuptest.Scrape(t, url)
		diff := ""
		for series, v := range want {
			if got[series] != v {
				diff += series + "=" + strconv.FormatFloat(got[series], 'g', -1, 64) + " want " + strconv.FormatFloat(v, 'g', -1, 64) + "; "
			}
		}
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hook counters after %v: %s", lineWait, diff)
		}
		time.Sleep(50 * time.Millisecond) // a run is counted just after its line
	}
}

// waitNoProcess waits, bounded, until kill(pid, 0) finds no process:
// hsup, the subreaper, has reaped what it killed.
func waitNoProcess(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d of the killed hook's group still exists after %v (kill: %v)", pid, within, err)
		}
		time.Sleep(20 * time.Millisecond) // polling the process table
	}
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

func TestHookEventsOfACrashLoop(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	rec := writeHook(t, t.TempDir(), "record", recordHook)
	p := hsuptest.Start(t, runArgs(t, "--name=crashy", "--on-event="+rec, "--crash-loop=2", "--give-up-after=3",
		"--backoff-min=10ms", "--backoff-max=50ms", "--", "/bin/sh", "-c", "exit 3"), "HOOK_OUT="+out)
	if code := p.Wait(t, exitWait); code != 69 {
		t.Fatalf("hsup exited %d, want 69 (gave up)", code)
	}
	events, env := readEvents(t, out) // gave_up ran as hsup exited
	var names []string
	for _, e := range events {
		names = append(names, e.Event)
	}
	// In the loop, restarts 2 and 3 fire nothing more: one alert per loop.
	if got := strings.Join(names, " "); got != "restarted crash_loop gave_up" {
		t.Fatalf("events %q, want restarted crash_loop gave_up", got)
	}
	restarts := []int{1, 2, 3}
	for i, e := range events {
		if e.Name != "crashy" || e.Reason != "exit" || e.Code == nil || *e.Code != 3 || e.Restarts == nil ||
			*e.Restarts != restarts[i] || e.Pid == nil || e.Bundle != nil || !strings.Contains(e.Sentence, "exited with status 3") {
			t.Errorf("%s: %+v, want crashy, exit, code 3, %d restarts, a pid, no bundle", e.Event, e, restarts[i])
		}
		if want := e.Event + "|crashy|exit|"; env[i] != want {
			t.Errorf("environment of %s: %q, want %q", e.Event, env[i], want)
		}
	}
	if s := events[2].Sentence; !strings.HasPrefix(s, "gave up after 3 restarts in a row") {
		t.Errorf("gave_up sentence %q", s)
	}
}

func TestOnEventMissingProgram(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope")
	p := hsuptest.Start(t, runArgs(t, "--on-event="+missing, "--", "/bin/sh", "-c", "exit 0"))
	if code := p.Wait(t, exitWait); code != 2 {
		t.Fatalf("hsup exited %d, want 2", code)
	}
	if got, want := strings.TrimSpace(p.RawStderr()), `hsup: --on-event: program "`+missing+`" not found: give an absolute path or put it on PATH`; got != want {
		t.Errorf("stderr %q, want the one line %q", got, want)
	}
}
