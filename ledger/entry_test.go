package ledger

import (
	"encoding/json"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/supervise"
)

func TestOf(t *testing.T) {
	at := time.Date(2026, 5, 1, 10, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
	cases := []struct {
		name string
		ev   supervise.Event
		want string // the line's JSON, without seq and name
	}{
		{name: "first child", ev: supervise.ChildStarted{At: at, Pid: 42, Pgid: 41},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"child_started","name":"","pid":42}`},
		{name: "restarted child", ev: supervise.ChildStarted{At: at, Pid: 43, Restart: true},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"child_started","name":"","pid":43,"restart":true}`},
		{name: "healthy", ev: supervise.ChildHealthy{At: at, Pid: 42},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"healthy","name":"","pid":42}`},
		{name: "degraded", ev: supervise.ChildDegraded{At: at, Pid: 42, Reason: "health", Detail: "2 probes failed"},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"degraded","name":"","pid":42,"reason":"health","sentence":"2 probes failed"}`},
		{name: "bundle", ev: supervise.CaptureFinished{At: at, Pid: 42, Reason: "health", Restart: true, Dir: "/b/1", Took: 1500 * time.Millisecond},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"bundle_written","name":"","pid":42,"restart":true,"reason":"health","path":"/b/1","took_ms":1500}`},
		{name: "bundle abandoned", ev: supervise.CaptureFinished{At: at, Pid: 42, Reason: "manual", Abandoned: true, Took: 20 * time.Second},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"bundle_written","name":"","pid":42,"reason":"manual","took_ms":20000,"abandoned":true}`},
		{name: "bundle failed", ev: supervise.CaptureFinished{At: at, Pid: 42, Reason: "deep", Restart: true, Err: errors.New("disk full")},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"bundle_written","name":"","pid":42,"restart":true,"reason":"deep","error":"disk full"}`},
		{name: "stopping", ev: supervise.ChildStopping{At: at, Pid: 42, Signal: syscall.SIGTERM, Reason: "health"},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"stopping","name":"","pid":42,"reason":"health","signal":"SIGTERM","grace_ms":10000}`},
		{name: "stopping for good", ev: supervise.ChildStopping{At: at, Pid: 42, Signal: syscall.SIGINT, Reason: "shutdown", Shutdown: true},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"stopping","name":"","pid":42,"reason":"shutdown","signal":"SIGINT","grace_ms":10000,"shutdown":true}`},
		{name: "killed", ev: supervise.ChildKilled{At: at, Pid: 42, Grace: 2 * time.Second},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"killed","name":"","pid":42,"signal":"SIGKILL","grace_ms":2000}`},
		{name: "exit 0 is a value", ev: supervise.ChildExited{At: at, Pid: 42, Code: 0, Reason: "exit"},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"exited","name":"","pid":42,"reason":"exit","code":0}`},
		{name: "killed by a signal", ev: supervise.ChildExited{At: at, Pid: 42, Code: 137, Reason: "health"},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"exited","name":"","pid":42,"reason":"health","signal":"SIGKILL","code":137}`},
		{name: "backoff", ev: supervise.BackingOff{At: at, Delay: 1500 * time.Millisecond, Attempt: 2, Restarts: 5, Reason: "health", Detail: "2 probes failed"},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"backoff","name":"","reason":"health","sentence":"2 probes failed","delay_ms":1500,"attempt":2,"restarts":5}`},
		{name: "backoff with no wait (the child ran longer than the delay) says 0", ev: supervise.BackingOff{At: at, Attempt: 1, Restarts: 6, Reason: "accept_stall"},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"backoff","name":"","reason":"accept_stall","delay_ms":0,"attempt":1,"restarts":6}`},
		{name: "start failed", ev: supervise.StartFailed{At: at, Code: 127, Err: errors.New("not found")},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"start_failed","name":"","error":"not found","code":127}`},
		{name: "crash loop", ev: supervise.CrashLoop{At: at, Restarts: 10, Reason: "exit", Detail: "exited 1", Code: 1},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"crash_loop","name":"","reason":"exit","sentence":"exited 1","code":1,"restarts":10}`},
		{name: "gave up", ev: supervise.GaveUp{At: at, Restarts: 3, Reason: "exit", Code: 1},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"gave_up","name":"","reason":"exit","code":1,"restarts":3}`},
		{name: "hsup stopped", ev: supervise.Exiting{At: at, Code: 0},
			want: `{"ts":"2026-05-01T08:00:00.123Z","event":"hsup_stopped","name":"","code":0}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ok := Of(c.ev, 10*time.Second)
			if !ok {
				t.Fatalf("Of(%T) not recorded", c.ev)
			}
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.want {
				t.Errorf("line\n got %s\nwant %s", b, c.want)
			}
		})
	}
}

func TestOfSkipsWhatIsNotRecorded(t *testing.T) {
	for _, ev := range []supervise.Event{supervise.TreeChanged{At: time.Now()}, supervise.CaptureStarted{At: time.Now()}} {
		if _, ok := Of(ev, 0); ok {
			t.Errorf("%T recorded, want skipped", ev)
		}
	}
}

func TestWithFactsLeavesUnknownOut(t *testing.T) {
	e, _ := Of(supervise.ChildDegraded{At: time.Now(), Pid: 1, Reason: "fd_pressure", Detail: "900 of 1024"}, 0)
	b, _ := json.Marshal(e.WithFacts(Facts{}))
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"failures", "probes", "first_failure_ms", "budget_ms", "code", "path"} {
		if _, ok := m[k]; ok {
			t.Errorf("unknown %s written: %s", k, b)
		}
	}
	full := e.WithFacts(Facts{Failures: 3, FirstFailure: 1200 * time.Millisecond, Budget: 17 * time.Second,
		Probes: []Probe{{Kind: "cheap", Result: "timeout", LatencyMS: 2000.5}}})
	if full.Failures != 3 || full.FirstFailureMS != 1200 || full.BudgetMS != 17000 || len(full.Probes) != 1 {
		t.Errorf("facts not carried: %+v", full)
	}
}

func TestStamp(t *testing.T) {
	if s := Stamp(time.Time{}); s != "" {
		t.Errorf("zero time stamped %q, want absent", s)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	if s := Stamp(at); s != "2026-01-02T03:04:05.006Z" {
		t.Errorf("Stamp = %q", s)
	}
	if got := (Entry{TS: Stamp(at)}).Time(); !got.Equal(at) {
		t.Errorf("Time() = %v, want %v", got, at)
	}
}
