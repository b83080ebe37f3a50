package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/hsup/hsup/diagnose"
	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/supervise"
)

func TestStreakStart(t *testing.T) {
	const reset = time.Minute
	cases := []struct {
		name       string
		restarts   int
		attempt    int
		healthyFor time.Duration
		want       int
	}{
		{name: "first restart", want: 1},
		{name: "first restart after a long healthy run", healthyFor: time.Hour, want: 1},
		{name: "second in a crash loop", restarts: 1, attempt: 1, want: 1},
		{name: "fifth in a crash loop", restarts: 4, attempt: 4, want: 1},
		{name: "healthy for reset: a new streak", restarts: 4, attempt: 4, healthyFor: reset, want: 5},
		{name: "healthy, not long enough", restarts: 4, attempt: 4, healthyFor: reset - time.Second, want: 1},
		{name: "a later streak goes on", restarts: 9, attempt: 2, healthyFor: time.Second, want: 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := streakStart(c.restarts, c.attempt, c.healthyFor, reset); got != c.want {
				t.Fatalf("streakStart(%d, %d, %v) = %d, want %d", c.restarts, c.attempt, c.healthyFor, got, c.want)
			}
		})
	}
}

// TestBundleFacts drives the observer with the events a crash loop, a
// healthy run and a warning bundle produce, and asks what each capture is
// told.
func TestBundleFacts(t *testing.T) {
	t0 := time.Date(2026, 5, 9, 10, 0, 0, 0, time.UTC)
	b := &bundleFacts{run: "r", reset: time.Minute, argv: []string{"app", "--port", "1"}}
	type capture struct {
		pid     int
		reason  string
		restart bool
		verdict string // the sentence
		streak  string
	}
	restart := func(pid int, reason, sentence string, at time.Time) []supervise.Event {
		return []supervise.Event{
			supervise.ChildDegraded{At: at, Pid: pid, Reason: reason, Detail: sentence},
			supervise.CaptureStarted{At: at, Pid: pid, Reason: reason, Restart: true},
		}
	}
	steps := []struct {
		name   string
		events []supervise.Event
		want   capture
	}{
		{name: "first child never healthy",
			events: append([]supervise.Event{supervise.ChildStarted{At: t0, Pid: 10}}, restart(10, "startup", "no ok probe", t0.Add(time.Second))...),
			want:   capture{pid: 10, reason: "startup", restart: true, verdict: "no ok probe", streak: "r/1"}},
		{name: "second child, same streak",
			events: append([]supervise.Event{supervise.BackingOff{Restarts: 1, Attempt: 1}, supervise.ChildStarted{At: t0, Pid: 11}},
				restart(11, "startup", "no ok probe again", t0.Add(2*time.Second))...),
			want: capture{pid: 11, reason: "startup", restart: true, verdict: "no ok probe again", streak: "r/1"}},
		{name: "a crash between (no bundle) keeps the streak",
			events: append([]supervise.Event{supervise.BackingOff{Restarts: 2, Attempt: 2}, supervise.ChildStarted{Pid: 12},
				supervise.ChildExited{Pid: 12, Code: 1}, supervise.BackingOff{Restarts: 3, Attempt: 3}, supervise.ChildStarted{Pid: 13},
				supervise.ChildHealthy{At: t0, Pid: 13}}, restart(13, "health", "3 failed", t0.Add(30*time.Second))...),
			want: capture{pid: 13, reason: "health", restart: true, verdict: "3 failed", streak: "r/1"}},
		{name: "a child healthy for --backoff-reset starts a new streak",
			events: append([]supervise.Event{supervise.BackingOff{Restarts: 4, Attempt: 4}, supervise.ChildStarted{Pid: 14},
				supervise.ChildHealthy{At: t0, Pid: 14}}, restart(14, "deep", "2 failed deep", t0.Add(2*time.Minute))...),
			want: capture{pid: 14, reason: "deep", restart: true, verdict: "2 failed deep", streak: "r/5"}},
		{name: "a warning bundle: no restart, no verdict, no streak",
			events: []supervise.Event{supervise.BackingOff{Restarts: 5, Attempt: 1}, supervise.ChildStarted{Pid: 15},
				supervise.ChildHealthy{At: t0, Pid: 15}, supervise.CaptureStarted{At: t0, Pid: 15, Reason: "fd_pressure"}},
			want: capture{pid: 15, reason: "fd_pressure"}},
		{name: "the verdict of a child is not the next child's",
			events: []supervise.Event{supervise.ChildDegraded{Pid: 15, Reason: "health", Detail: "old"}, supervise.ChildStarted{Pid: 16},
				supervise.CaptureStarted{Pid: 16, Reason: "manual", Restart: true}},
			want: capture{pid: 16, reason: "manual", restart: true, streak: "r/5"}},
	}
	for _, s := range steps {
		for _, e := range s.events {
			b.observe(e)
		}
		f := b.facts(s.want.pid, s.want.reason)
		got := capture{pid: s.want.pid, reason: s.want.reason, restart: f.Restart, streak: f.Streak}
		if f.Verdict != nil {
			got.verdict = f.Verdict.Sentence
			if f.Verdict.Reason != s.want.reason {
				t.Errorf("%s: verdict reason %q, want %q", s.name, f.Verdict.Reason, s.want.reason)
			}
		}
		if got != s.want || !reflect.DeepEqual(f.Argv, b.argv) {
			t.Errorf("%s: facts %+v (argv %q), want %+v", s.name, got, f.Argv, s.want)
		}
	}
	if f := b.facts(99, "health"); f.Restart || f.Verdict != nil || f.Streak != "" {
		t.Errorf("facts of a capture the loop did not announce: %+v", f)
	}
}

func TestProbeFacts(t *testing.T) {
	at := time.Date(2026, 5, 9, 10, 0, 0, 0, time.UTC)
	e := healthcheck.Evidence{
		URL: map[healthcheck.Kind]string{healthcheck.Cheap: "http://h/health", healthcheck.Deep: "http://h/health?deep=1"},
		Last: map[healthcheck.Kind]healthcheck.Outcome{
			healthcheck.Cheap: {Result: healthcheck.Timeout, At: at, Duration: 2 * time.Second, Detail: "deadline"},
			healthcheck.Deep: {Result: healthcheck.Degraded, Status: 503, At: at, Duration: 1500 * time.Microsecond,
				Reply: &healthcheck.Reply{Status: 503, Header: map[string]string{"Content-Type": "application/json"}, Body: []byte(`{"status":"degraded"}`), Complete: true}},
		},
		History: []healthcheck.Record{{Kind: healthcheck.Cheap, At: at, Result: healthcheck.OK, Status: 200, Duration: 1234567 * time.Nanosecond}},
	}
	probes, hist := probeFacts(e)
	want := map[string]diagnose.Probe{
		"cheap": {URL: "http://h/health", At: at, Result: "timeout", Detail: "deadline", MS: 2000},
		"deep": {URL: "http://h/health?deep=1", At: at, Result: "degraded", MS: 1.5, Status: 503,
			Header: map[string]string{"Content-Type": "application/json"}, Body: `{"status":"degraded"}`, BodyComplete: true},
	}
	if !reflect.DeepEqual(probes, want) {
		t.Errorf("probes %+v\nwant %+v", probes, want)
	}
	if wantH := []diagnose.ProbeRecord{{Kind: "cheap", At: at, Result: "ok", Status: 200, MS: 1.235}}; !reflect.DeepEqual(hist, wantH) {
		t.Errorf("history %+v, want %+v", hist, wantH)
	}
	if p, h := probeFacts(healthcheck.Evidence{}); p != nil || h != nil {
		t.Errorf("no evidence: %v %v, want nil", p, h)
	}
}

func TestTailMark(t *testing.T) {
	at := time.Date(2026, 5, 9, 10, 0, 0, 123e6, time.FixedZone("CEST", 7200))
	cases := []struct {
		e    supervise.Event
		want string
	}{
		{supervise.ChildStarted{At: at, Pid: 1234}, "=== hsup: child pid 1234 started 2026-05-09T08:00:00.123Z ==="},
		{supervise.ChildExited{At: at, Pid: 1234, Code: 143, Reason: "health"}, "=== hsup: child pid 1234 exited 2026-05-09T08:00:00.123Z with status 143 (health) ==="},
		{supervise.ChildHealthy{At: at, Pid: 1234}, ""},
	}
	for _, c := range cases {
		if got := tailMark(c.e); got != c.want {
			t.Errorf("tailMark(%T) = %q, want %q", c.e, got, c.want)
		}
	}
	tail := diagnose.NewTail(1 << 10)
	_, _ = tail.Write([]byte("partial line from the old child"))
	tailMarks(tail)(supervise.ChildStarted{At: at, Pid: 7})
	if got, want := string(tail.Bytes()), "partial line from the old child\n=== hsup: child pid 7 started 2026-05-09T08:00:00.123Z ===\n"; got != want {
		t.Errorf("tail %q, want %q", got, want)
	}
}
