//go:build unix

package hooks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hsup/hsup/test/reexec"
)

func init() {
	reexec.Register("hook-record", hookRecord)
	reexec.Register("hook-fail", hookFail)
	reexec.Register("hook-hang", hookHang)
}

// hookRecord appends the event it reads and its HSUP_* environment to
// $HOOK_DIR/events and $HOOK_DIR/env, one line each per run.
func hookRecord(...string) int {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		return 1
	}
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HSUP_") && !strings.HasPrefix(kv, "HSUP_TEST_") || strings.HasPrefix(kv, "NOTIFY_SOCKET=") {
			env = append(env, kv)
		}
	}
	slices.Sort(env)
	if appendTo("events", string(in)) != nil || appendTo("env", strings.Join(env, " ")+"\n") != nil {
		return 1
	}
	return 0
}

func appendTo(name, s string) error {
	f, err := os.OpenFile(filepath.Join(os.Getenv("HOOK_DIR"), name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(s)
	return err
}

// hookFail writes more than OutputCap, a last word on stderr, and exits 3.
func hookFail(...string) int {
	os.Stdout.WriteString("it broke: " + strings.Repeat("x", 2*OutputCap))
	os.Stderr.WriteString("never seen\n")
	return 3
}

// hookHang starts a grandchild in its own process group, writes both pids
// to $HOOK_DIR/pids, and sleeps.
func hookHang(...string) int {
	gc := exec.Command("sleep", "300")
	if err := gc.Start(); err != nil {
		return 1
	}
	pids := fmt.Sprintf("%d %d\n", os.Getpid(), gc.Process.Pid)
	if appendTo("pids", pids) != nil {
		return 1
	}
	time.Sleep(time.Hour)
	return 0
}

type run struct{ event, result string }

// harness runs a Runner over the test binary as the hook program, with
// helper as the hook, and reports every counted result.
type harness struct {
	dir     string
	results chan run
	logs    *observer.ObservedLogs
	cancel  context.CancelFunc
	done    chan struct{}
}

func newRunner(t *testing.T, helper string, o Options) (*Runner, *harness) {
	t.Helper()
	h := &harness{dir: t.TempDir(), results: make(chan run, 64), done: make(chan struct{})}
	core, logs := observer.New(zapcore.DebugLevel)
	h.logs = logs
	exe, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	o.Programs = []string{exe}
	// GORACE: a -race helper would otherwise sleep a second at its exit.
	o.Env = Environ(append(os.Environ(), reexec.Env(t, helper), "HOOK_DIR="+h.dir, "NOTIFY_SOCKET=/run/x", "HSUP_EVENT=stale",
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")))
	o.Log = zap.New(core)
	o.Counted = func(event, result string) { h.results <- run{event, result} }
	return New(o), h
}

// start runs r until the test ends (or h.stop).
func (h *harness) start(t *testing.T, r *Runner) {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { defer close(h.done); _ = r.Run(ctx) }()
	t.Cleanup(func() { h.stop(t, 10*time.Second) })
}

// stop ends Run and fails the test if it takes longer than bound.
func (h *harness) stop(t *testing.T, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	h.cancel()
	timer := time.NewTimer(bound)
	defer timer.Stop()
	select {
	case <-h.done:
	case <-timer.C:
		t.Fatalf("Run did not return within %v", bound)
	}
	return time.Since(start)
}

func (h *harness) next(t *testing.T, within time.Duration) run {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	select {
	case r := <-h.results:
		return r
	case <-timer.C:
		t.Fatalf("no hook result within %v; log: %v", within, h.logs.All())
	}
	return run{}
}

func (h *harness) read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunnerRunsEachEventInOrder(t *testing.T) {
	r, h := newRunner(t, "hook-record", Options{})
	h.start(t, r)
	events := []Event{
		{Event: Degraded, Name: "web", Reason: "health", Sentence: "probes failed", Pid: 10, Bundle: "/b", Time: t0},
		{Event: Restarted, Name: "web", Reason: "health", Sentence: "probes failed", Pid: 11, Bundle: "/b", Restarts: 1, Code: code(143), Time: at(1)},
		{Event: Recovered, Name: "web", Reason: "health", Sentence: "probes failed", Pid: 11, Bundle: "/b", Restarts: 1, Time: at(2)},
	}
	for _, e := range events {
		r.Enqueue(e)
	}
	for _, e := range events {
		if got := h.next(t, 10*time.Second); got != (run{e.Event, ResultOK}) {
			t.Fatalf("run %+v, want %s ok", got, e.Event)
		}
	}
	var want bytes.Buffer
	for _, e := range events {
		want.Write(e.Payload())
	}
	if got := h.read(t, "events"); got != want.String() {
		t.Errorf("the hook read\n%s\nwant\n%s", got, want.String())
	}
	wantEnv := "HSUP_BUNDLE=/b HSUP_EVENT=degraded HSUP_NAME=web HSUP_REASON=health\n" +
		"HSUP_BUNDLE=/b HSUP_EVENT=restarted HSUP_NAME=web HSUP_REASON=health\n" +
		"HSUP_BUNDLE=/b HSUP_EVENT=recovered HSUP_NAME=web HSUP_REASON=health\n"
	if got := h.read(t, "env"); got != wantEnv {
		t.Errorf("the hook's environment (NOTIFY_SOCKET and a stale HSUP_EVENT must be gone)\n%s\nwant\n%s", got, wantEnv)
	}
	if n := h.logs.FilterMessage("hook ran").Len(); n != 3 {
		t.Errorf("%d \"hook ran\" lines, want 3", n)
	}
}

func TestRunnerFailureLoggedAndCounted(t *testing.T) {
	r, h := newRunner(t, "hook-fail", Options{})
	h.start(t, r)
	r.Enqueue(Event{Event: CrashLoop, Name: "web", Reason: "exit", Time: t0})
	if got := h.next(t, 10*time.Second); got != (run{CrashLoop, ResultFailed}) {
		t.Fatalf("run %+v, want crash_loop failed", got)
	}
	lines := h.logs.FilterLevelExact(zapcore.WarnLevel).All()
	if len(lines) != 1 || !strings.HasPrefix(lines[0].Message, "hook failed") {
		t.Fatalf("want one warning line, got %v", lines)
	}
	f := lines[0].ContextMap()
	out, _ := f["output"].(string)
	if !strings.HasPrefix(out, "it broke: xxx") || len(out) != OutputCap || strings.Contains(out, "never seen") {
		t.Errorf("output field: %d bytes %.40q..., want the first %d bytes of the output", len(out), out, OutputCap)
	}
	if f["event"] != CrashLoop || f["result"] != ResultFailed || !strings.Contains(fmt.Sprint(f["error"]), "exit status 3") {
		t.Errorf("fields %v", f)
	}
}

func TestRunnerTimeoutKillsTheGroup(t *testing.T) {
	const timeout = 300 * time.Millisecond
	r, h := newRunner(t, "hook-hang", Options{Timeout: timeout})
	h.start(t, r)
	r.Enqueue(Event{Event: Degraded, Name: "web", Reason: "health", Time: t0})
	if got := h.next(t, 10*time.Second); got != (run{Degraded, ResultTimeout}) {
		t.Fatalf("run %+v, want degraded timeout", got)
	}
	pids := strings.Fields(h.read(t, "pids"))
	if len(pids) != 2 {
		t.Fatalf("pids file: %q", pids)
	}
	for _, p := range pids {
		pid, _ := strconv.Atoi(p)
		waitGone(t, pid, 5*time.Second)
	}
	l := h.logs.FilterMessageSnippet("hook timeout").All()
	if len(l) != 1 {
		t.Fatalf("want one timeout line, got %v", h.logs.All())
	}
	if took := l[0].ContextMap()["took"].(time.Duration); took < timeout || took > timeout+2*time.Second {
		t.Errorf("the run took %v, want about its timeout %v", took, timeout)
	}
}

func TestRunnerDropsWhatItCannotQueue(t *testing.T) {
	r, h := newRunner(t, "hook-record", Options{Queue: 1})
	for range 3 { // before Run: the first waits in the queue, two find it full
		r.Enqueue(Event{Event: Restarted, Name: "web", Time: t0})
	}
	for range 2 {
		if got := h.next(t, time.Second); got != (run{Restarted, ResultDropped}) {
			t.Fatalf("run %+v, want restarted dropped", got)
		}
	}
	h.start(t, r)
	if got := h.next(t, 10*time.Second); got != (run{Restarted, ResultOK}) {
		t.Fatalf("run %+v, want restarted ok", got)
	}
	h.stop(t, 10*time.Second)
	if l := h.logs.FilterMessageSnippet("hook events dropped").All(); len(l) != 1 || l[0].ContextMap()["dropped"] != int64(2) {
		t.Errorf("want one line saying 2 were dropped, got %v", h.logs.All())
	}
}

// At hsup's exit what is queued still runs (gave_up comes last of all).
func TestRunnerRunsWhatIsQueuedAtExit(t *testing.T) {
	r, h := newRunner(t, "hook-record", Options{})
	r.Enqueue(Event{Event: GaveUp, Name: "web", Reason: "exit", Time: t0})
	h.start(t, r)
	h.stop(t, 10*time.Second)
	if got := h.next(t, time.Second); got != (run{GaveUp, ResultOK}) {
		t.Fatalf("run %+v, want gave_up ok", got)
	}
	if !strings.Contains(h.read(t, "events"), `"event":"gave_up"`) {
		t.Error("the gave_up hook did not run")
	}
}

// Past the exit wait, a run in flight is killed and what is queued dropped.
func TestRunnerExitWaitIsBounded(t *testing.T) {
	const exitWait = 300 * time.Millisecond
	r, h := newRunner(t, "hook-hang", Options{Timeout: time.Minute, ExitWait: exitWait})
	r.Enqueue(Event{Event: Degraded, Name: "web", Time: t0})
	r.Enqueue(Event{Event: Restarted, Name: "web", Time: t0})
	h.start(t, r)
	waitFile(t, filepath.Join(h.dir, "pids"), 10*time.Second)
	if took := h.stop(t, 10*time.Second); took > exitWait+waitDelay+2*time.Second {
		t.Errorf("Run returned %v after its context, want about %v", took, exitWait)
	}
	got := []run{h.next(t, time.Second), h.next(t, time.Second)}
	want := []run{{Degraded, ResultTimeout}, {Restarted, ResultDropped}}
	if !slices.Equal(got, want) {
		t.Errorf("results %v, want %v", got, want)
	}
}

func TestRunnerProgramGone(t *testing.T) {
	h := &harness{results: make(chan run, 4), done: make(chan struct{})}
	r := New(Options{Programs: []string{filepath.Join(t.TempDir(), "gone")},
		Counted: func(e, res string) { h.results <- run{e, res} }})
	h.start(t, r)
	r.Enqueue(Event{Event: Degraded, Time: t0})
	if got := h.next(t, 10*time.Second); got != (run{Degraded, ResultError}) {
		t.Fatalf("run %+v, want degraded error", got)
	}
}

// waitFile waits, bounded, for a hook to have written path.
func waitFile(t *testing.T, path string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not written within %v", path, within)
		}
		time.Sleep(10 * time.Millisecond) // polling a file another process writes
	}
}
