package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/control"
	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/supervise"
)

func TestControlStatus(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	self := control.Hsup{Pid: 1, Version: "v1", Started: now.Add(-time.Hour), UptimeMS: 3600000}
	cases := []struct {
		name string
		st   supervise.Status
		snap *healthcheck.Snapshot
		want string // the JSON, less schema, name, now and hsup
	}{
		{
			name: "running",
			st: supervise.Status{State: supervise.Running, Pid: 42, Pgid: 41, StartedAt: now.Add(-time.Minute), RunningSince: now.Add(-50 * time.Second),
				HeartbeatKnown: true, HeartbeatValue: 7, HeartbeatAdvancedAt: now.Add(-time.Second), FDsKnown: true, OpenFDs: 12, FDLimit: 4096},
			snap: &healthcheck.Snapshot{Cheap: &healthcheck.Outcome{Result: healthcheck.OK, Status: 200, Duration: 1500 * time.Microsecond, At: now.Add(-time.Second)}},
			want: `"state":"running","child":{"pid":42,"pgid":41,"started":"2026-05-01T09:59:00Z","running_since":"2026-05-01T09:59:10Z","uptime_ms":60000},` +
				`"restarts":0,"probes":{"failures":0,"cheap":{"result":"ok","status":200,"latency_ms":1.5,"at":"2026-05-01T09:59:59Z"}},` +
				`"heartbeat":{"value":7,"advanced_at":"2026-05-01T09:59:59Z","age_ms":1000},"fds":{"open":12,"limit":4096}`,
		},
		{
			name: "backoff after a restart, probing off",
			st: supervise.Status{State: supervise.Backoff, Restarts: 3, LastRestartReason: "health", LastRestartDetail: "3 probes failed",
				Exited: true, LastExitCode: 143, Backoff: 2 * time.Second, BackoffUntil: now.Add(1500 * time.Millisecond), LastBundle: "/b/1",
				FDsKnown: true, OpenFDs: 99}, // a count of the gone child: not shown
			want: `"state":"backoff","restarts":3,"last_restart":{"reason":"health","sentence":"3 probes failed"},"last_exit_code":143,` +
				`"backoff":{"delay_ms":2000,"until":"2026-05-01T10:00:01.5Z","remaining_ms":1500},"last_bundle":"/b/1"`,
		},
		{
			name: "exit 0 is a value; a verdict under capture",
			st:   supervise.Status{State: supervise.Capturing, Pid: 42, Exited: true, Verdict: "deep", VerdictDetail: "state_db error"},
			want: `"state":"capturing","child":{"pid":42,"uptime_ms":0},"restarts":0,"last_exit_code":0,` +
				`"verdict":{"reason":"deep","sentence":"state_db error"}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(controlStatus("web", c.st, c.snap, self, now))
			if err != nil {
				t.Fatal(err)
			}
			prefix := `{"schema":1,"name":"web","now":"2026-05-01T10:00:00Z","hsup":{"pid":1,"version":"v1","started":"2026-05-01T09:00:00Z","uptime_ms":3600000},`
			if want := prefix + c.want + "}"; string(b) != want {
				t.Errorf("status\n got %s\nwant %s", b, want)
			}
		})
	}
}

// TestCapturesWait: a waiter gets the CaptureFinished of its own capture,
// not an earlier one of the same child that finished late (cancelled), nor
// another child's.
func TestCapturesWait(t *testing.T) {
	c := newCaptures()
	now := time.Now()
	c.observe(supervise.CaptureStarted{At: now, Pid: 10, Reason: "manual"})
	c.observe(supervise.CaptureFinished{At: now, Pid: 10, Reason: "manual", Dir: "/b/old"})
	c.observe(supervise.CaptureStarted{At: now, Pid: 10, Reason: "manual"})
	mine, ok := c.lastStarted()
	if !ok {
		t.Fatal("no start seen")
	}
	got := make(chan captureDone, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		d, err := c.wait(ctx, mine)
		if err != nil {
			t.Error(err)
		}
		got <- d
	}()
	c.observe(supervise.CaptureFinished{At: now, Pid: 11, Reason: "manual", Dir: "/b/other-child"})
	c.observe(supervise.CaptureFinished{At: now, Pid: 10, Reason: "fd_pressure", Dir: "/b/warning"})
	c.observe(supervise.ChildExited{At: now, Pid: 10}) // not a capture event: no wake-up needed
	c.observe(supervise.CaptureFinished{At: now, Pid: 10, Reason: "manual", Dir: "/b/mine"})
	select {
	case d := <-got:
		if d.dir != "/b/mine" {
			t.Errorf("waiter got %q, want /b/mine", d.dir)
		}
	case <-ctx.Done():
		t.Fatal("the waiter was not woken")
	}
	short, cancelShort := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancelShort()
	if _, err := c.wait(short, captureStart{pid: 99, reason: "manual", finishedBefore: 100}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("wait for a capture that never finishes: %v", err)
	}
}

func TestCapturesBounded(t *testing.T) {
	c := newCaptures()
	for i := range 100 {
		c.observe(supervise.CaptureFinished{Pid: i, Reason: "manual"})
	}
	if len(c.done) != keptCaptures || c.done[0].pid != 100-keptCaptures {
		t.Errorf("kept %d from pid %d, want the last %d", len(c.done), c.done[0].pid, keptCaptures)
	}
}

func TestCaptureOutcome(t *testing.T) {
	cases := []struct {
		d       captureDone
		dir     string
		errText string
	}{
		{d: captureDone{dir: "/b/1"}, dir: "/b/1"},
		{d: captureDone{dir: "/b/1", err: errors.New("lsof failed")}, dir: "/b/1"}, // a partial bundle is a bundle
		{d: captureDone{abandoned: true}, errText: "abandoned"},
		{d: captureDone{err: errors.New("disk full")}, errText: "disk full"},
		{d: captureDone{}, errText: "no bundle"},
	}
	for _, c := range cases {
		dir, err := captureOutcome(c.d)
		if dir != c.dir || (c.errText == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.errText)) {
			t.Errorf("captureOutcome(%+v) = %q, %v; want %q, %q", c.d, dir, err, c.dir, c.errText)
		}
	}
}

func TestRefusal(t *testing.T) {
	if err := refusal(fmt.Errorf("%w (state backoff)", supervise.ErrNoChild)); !errors.Is(err, control.ErrRefused) || !errors.Is(err, supervise.ErrNoChild) {
		t.Errorf("no child: %v, want a refusal", err)
	}
	if err := refusal(context.DeadlineExceeded); errors.Is(err, control.ErrRefused) {
		t.Errorf("a timeout became a refusal: %v", err)
	}
	if refusal(nil) != nil {
		t.Error("nil became an error")
	}
}
