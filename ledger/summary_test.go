package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hsup/hsup/supervise"
)

func TestSummarize(t *testing.T) {
	now := time.Date(2026, 5, 8, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) string { return Stamp(now.Add(-d)) }
	restart := func(seq int64, d time.Duration, reason string) Entry {
		return Entry{Seq: seq, TS: ago(d), Event: EventBackoff, Reason: reason, Sentence: reason + " failed"}
	}
	one := 1
	zero := 0
	cases := []struct {
		name        string
		entries     []Entry
		windows     string // count and reasons of hour, day, week
		last        *Restart
		lastSeen    time.Time
		stopped     *Stopped
		hsupStarted time.Time
	}{
		{name: "empty", windows: "hour 0 map[] day 0 map[] week 0 map[]"},
		{
			name: "restarts by window",
			entries: []Entry{
				{Seq: 1, TS: ago(10 * 24 * time.Hour), Event: EventHsupStarted, Version: "v1"},
				restart(2, 8*24*time.Hour, "exit"), // older than a week
				restart(3, 3*24*time.Hour, "deep"),
				restart(4, 5*time.Hour, "health"),
				restart(5, 30*time.Minute, "health"),
				restart(6, time.Minute, "heartbeat"),
			},
			windows:     "hour 2 map[health:1 heartbeat:1] day 3 map[health:2 heartbeat:1] week 4 map[deep:1 health:2 heartbeat:1]",
			last:        &Restart{Seq: 6, At: now.Add(-time.Minute), Reason: "heartbeat", Sentence: "heartbeat failed"},
			lastSeen:    now.Add(-time.Minute),
			hsupStarted: now.Add(-10 * 24 * time.Hour),
		},
		{
			name: "a restart links the bundle and exit of the child it ended",
			entries: []Entry{
				{Seq: 1, TS: ago(time.Hour), Event: EventChildStarted, Pid: 10},
				{Seq: 2, TS: ago(50 * time.Minute), Event: EventBundleWritten, Pid: 10, Reason: "manual", Path: "/b/warn"}, // a capture, no restart
				{Seq: 3, TS: ago(40 * time.Minute), Event: EventDegraded, Pid: 10, Reason: "health"},
				{Seq: 4, TS: ago(40 * time.Minute), Event: EventBundleWritten, Pid: 10, Reason: "health", Restart: true, Path: "/b/1"},
				{Seq: 5, TS: ago(40 * time.Minute), Event: EventExited, Pid: 10, Code: &zero},
				restart(6, 40*time.Minute, "health"),
				{Seq: 7, TS: ago(39 * time.Minute), Event: EventChildStarted, Pid: 11, Restart: true},
			},
			windows:  "hour 1 map[health:1] day 1 map[health:1] week 1 map[health:1]",
			last:     &Restart{Seq: 6, At: now.Add(-40 * time.Minute), Reason: "health", Sentence: "health failed", Bundle: "/b/1", Pid: 10, Code: &zero},
			lastSeen: now.Add(-39 * time.Minute),
		},
		{
			name: "an exit without a bundle does not take the previous child's",
			entries: []Entry{
				{Seq: 1, TS: ago(time.Hour), Event: EventBundleWritten, Pid: 10, Restart: true, Path: "/b/old"},
				{Seq: 2, TS: ago(time.Hour), Event: EventChildStarted, Pid: 11, Restart: true},
				{Seq: 3, TS: ago(time.Minute), Event: EventExited, Pid: 11, Code: &one, Reason: "exit"},
				restart(4, time.Minute, "exit"),
			},
			windows:  "hour 1 map[exit:1] day 1 map[exit:1] week 1 map[exit:1]",
			last:     &Restart{Seq: 4, At: now.Add(-time.Minute), Reason: "exit", Sentence: "exit failed", Pid: 11, Code: &one},
			lastSeen: now.Add(-time.Minute),
		},
		{
			name: "stopped, then started again: the newest hsup runs",
			entries: []Entry{
				{Seq: 1, TS: ago(2 * time.Hour), Event: EventHsupStarted},
				{Seq: 2, TS: ago(time.Hour), Event: EventHsupStopped, Code: &zero},
				{Seq: 3, TS: ago(time.Minute), Event: EventHsupStarted, Version: "v2"},
			},
			windows:     "hour 0 map[] day 0 map[] week 0 map[]",
			lastSeen:    now.Add(-time.Minute),
			hsupStarted: now.Add(-time.Minute),
		},
		{
			name: "stopped for good",
			entries: []Entry{
				{Seq: 1, TS: ago(2 * time.Hour), Event: EventHsupStarted},
				{Seq: 2, TS: ago(time.Hour), Event: EventHsupStopped, Code: &one},
			},
			windows:     "hour 0 map[] day 0 map[] week 0 map[]",
			lastSeen:    now.Add(-time.Hour),
			stopped:     &Stopped{At: now.Add(-time.Hour), Code: 1},
			hsupStarted: now.Add(-2 * time.Hour),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Summarize(c.entries, now)
			var ws string
			for i, w := range s.Restarts {
				if i > 0 {
					ws += " "
				}
				ws += fmt.Sprintf("%s %d %v", w.Span, w.Count, w.Reasons)
			}
			if ws != c.windows {
				t.Errorf("windows\n got %s\nwant %s", ws, c.windows)
			}
			if got, want := jsonOf(s.LastRestart), jsonOf(c.last); got != want {
				t.Errorf("last restart\n got %s\nwant %s", got, want)
			}
			if !s.LastSeen.Equal(c.lastSeen) {
				t.Errorf("last seen %v, want %v", s.LastSeen, c.lastSeen)
			}
			if got, want := jsonOf(s.Stopped), jsonOf(c.stopped); got != want {
				t.Errorf("stopped %s, want %s", got, want)
			}
			if !s.HsupStarted.Equal(c.hsupStarted) {
				t.Errorf("hsup started %v, want %v", s.HsupStarted, c.hsupStarted)
			}
		})
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSummaryOmitsUnknownTimes: no 0001-01-01 in a summary of nothing.
func TestSummaryOmitsUnknownTimes(t *testing.T) {
	got := jsonOf(Summarize(nil, time.Now()))
	if want := `{"restarts":[{"span":"hour","count":0},{"span":"day","count":0},{"span":"week","count":0}]}`; got != want {
		t.Errorf("summary of nothing\n got %s\nwant %s", got, want)
	}
}

// TestLastSeenTakesTheLaterLine: two lines stamped in the same millisecond
// (the child's exit and hsup's stop) are seen in seq order.
func TestLastSeenTakesTheLaterLine(t *testing.T) {
	ts := Stamp(time.Now())
	zero := 0
	s := Summarize([]Entry{{Seq: 1, TS: ts, Event: EventExited}, {Seq: 2, TS: ts, Event: EventHsupStopped, Code: &zero}}, time.Now())
	if s.LastEvent != EventHsupStopped {
		t.Errorf("last event %q, want %q", s.LastEvent, EventHsupStopped)
	}
}

// TestReadSummaryAgreesWithRead: the cheap reading of the summary says
// what Summarize says of every entry Read returns.
func TestReadSummaryAgreesWithRead(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(Config{Dir: dir, Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	at := func(d time.Duration) time.Time { return now.Add(-d) }
	l.Append(Entry{Event: EventHsupStarted, Version: "v1", TS: Stamp(at(3 * time.Hour))})
	for i, reason := range []string{"health", "deep", "exit", "health"} {
		d := time.Duration(4-i) * 20 * time.Minute
		l.Observe(supervise.ChildStarted{At: at(d + time.Minute), Pid: 10 + i, Restart: i > 0})
		l.Observe(supervise.ChildHealthy{At: at(d + 50*time.Second), Pid: 10 + i})
		l.Observe(supervise.ChildDegraded{At: at(d + 2*time.Second), Pid: 10 + i, Reason: reason, Detail: `a "quoted" sentence`})
		l.Observe(supervise.CaptureFinished{At: at(d + time.Second), Pid: 10 + i, Reason: reason, Restart: true, Dir: "/b/" + reason})
		l.Observe(supervise.ChildExited{At: at(d), Pid: 10 + i, Code: 137, Reason: reason})
		l.Observe(supervise.BackingOff{At: at(d), Reason: reason, Detail: "why " + reason})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"seq":99,"ts":"` + Stamp(now) + `","event":"healthy","name":"web"`) // torn
	f.Close()
	es, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadSummary(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := jsonOf(got), jsonOf(Summarize(es, now)); a != b {
		t.Errorf("ReadSummary\n%s\nSummarize(Read)\n%s", a, b)
	}
	if got.LastRestart == nil || got.LastRestart.Bundle != "/b/health" || *got.LastRestart.Code != 137 || got.Restarts[0].Count != 2 {
		t.Errorf("summary %s", jsonOf(got))
	}
}
