package main

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/hsup/hsup/diagnose"
	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/runstate"
	"github.com/hsup/hsup/supervise"
)

// bundleFacts tells each capture what hsup knows that the collectors
// cannot read from the child: the verdict's sentence, the restart streak
// the coming restart belongs to, the child's argv and the last probes.
//
// It follows the supervisor's events rather than reading its published
// Status: the loop starts a capture's goroutine while handling the event
// that decided it and publishes the Status only afterwards, whereas
// ChildDegraded and CaptureStarted are emitted before that goroutine
// starts, so what observe stored is there when the capture asks.
type bundleFacts struct {
	run    string                      // this hsup's run: streak ids are unique across hsups
	reset  time.Duration               // --backoff-reset
	probes func() healthcheck.Evidence // nil without probing
	argv   []string                    // the child's command line; set before the supervisor starts

	mu        sync.Mutex
	healthyAt time.Time         // when the current child first proved healthy; zero until then
	restarts  int               // restarts decided so far (the last BackingOff)
	attempt   int               // that restart's number in its streak
	verdict   *diagnose.Verdict // the current child's degraded verdict
	capture   captureCall       // the capture the loop started last
}

// captureCall is what the loop said about a capture when it started it.
type captureCall struct {
	pid     int
	reason  string
	restart bool
	verdict *diagnose.Verdict
	streak  string
}

func newBundleFacts(s settings) *bundleFacts {
	return &bundleFacts{run: runstate.NewRunID(), reset: s.backoff.Reset}
}

// observe follows the supervisor's events. It runs on the loop: it only
// stores.
func (b *bundleFacts) observe(e supervise.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := e.(type) {
	case supervise.ChildStarted:
		b.healthyAt, b.verdict = time.Time{}, nil
	case supervise.ChildHealthy:
		b.healthyAt = e.At
	case supervise.ChildDegraded:
		b.verdict = &diagnose.Verdict{Reason: e.Reason, Sentence: e.Detail}
	case supervise.BackingOff:
		b.restarts, b.attempt = e.Restarts, e.Attempt
	case supervise.CaptureStarted:
		c := captureCall{pid: e.Pid, reason: e.Reason, restart: e.Restart}
		if e.Restart {
			var healthyFor time.Duration
			if !b.healthyAt.IsZero() {
				healthyFor = e.At.Sub(b.healthyAt)
			}
			c.verdict = b.verdict
			c.streak = b.run + "/" + strconv.Itoa(streakStart(b.restarts, b.attempt, healthyFor, b.reset))
		}
		b.capture = c
	}
}

// streakStart is the number of the restart that began the streak the
// coming restart belongs to, as the supervisor's backoff counts them:
// restarts and attempt are the last BackingOff's (0 before the first),
// healthyFor how long the child about to be restarted has run healthy. A
// child that ran healthy for --backoff-reset starts a new streak with the
// coming restart (supervise.BackoffPolicy.NextAttempt); otherwise the
// coming restart continues the streak of the last one. The supervisor
// measures healthyFor at the exit, a little after the capture: a child
// that crosses --backoff-reset during its capture and stop is counted in
// the old streak here.
func streakStart(restarts, attempt int, healthyFor, reset time.Duration) int {
	if attempt <= 0 || healthyFor >= reset {
		return restarts + 1
	}
	return restarts - attempt + 1
}

// facts is diagnose.Config.Facts: what hsup knows about the capture of
// pid for reason, as the loop announced it.
func (b *bundleFacts) facts(pid int, reason string) diagnose.Facts {
	b.mu.Lock()
	c := b.capture
	b.mu.Unlock()
	f := diagnose.Facts{Argv: b.argv}
	if c.pid == pid && c.reason == reason { // always, as the loop announces every capture first
		f.Restart, f.Verdict, f.Streak = c.restart, c.verdict, c.streak
	}
	if b.probes != nil {
		f.Probes, f.History = probeFacts(b.probes())
	}
	return f
}

// probeFacts turns the health monitor's evidence into the bundle's.
func probeFacts(e healthcheck.Evidence) (map[string]diagnose.Probe, []diagnose.ProbeRecord) {
	var probes map[string]diagnose.Probe
	for kind, o := range e.Last {
		p := diagnose.Probe{URL: e.URL[kind], At: o.At, Result: string(o.Result), Detail: o.Detail,
			MS: millis(o.Duration), Status: o.Status}
		if r := o.Reply; r != nil {
			p.Header, p.Body, p.BodyComplete = r.Header, string(r.Body), r.Complete
		}
		if probes == nil {
			probes = map[string]diagnose.Probe{}
		}
		probes[string(kind)] = p
	}
	var hist []diagnose.ProbeRecord
	for _, r := range e.History {
		hist = append(hist, diagnose.ProbeRecord{Kind: string(r.Kind), At: r.At, Result: string(r.Result),
			Status: r.Status, MS: millis(r.Duration)})
	}
	return probes, hist
}

// millis is d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1000 }

// tailMarks writes into the diagnostics tail where each child's output
// begins and ends, so output-tail.txt tells one instance's lines from the
// next's. It runs on the loop: a short copy into memory. Lines a child
// writes in its first moments, before the loop has seen it start, may
// come before its start mark, never before the previous child's exit mark.
func tailMarks(tail *diagnose.Tail) func(supervise.Event) {
	return func(e supervise.Event) {
		if line := tailMark(e); line != "" {
			tail.Mark(line)
		}
	}
}

// tailMark is the line marking e in the tail, "" for events it does not
// mark.
func tailMark(e supervise.Event) string {
	const at = "2006-01-02T15:04:05.000Z"
	switch e := e.(type) {
	case supervise.ChildStarted:
		return fmt.Sprintf("=== hsup: child pid %d started %s ===", e.Pid, e.At.UTC().Format(at))
	case supervise.ChildExited:
		return fmt.Sprintf("=== hsup: child pid %d exited %s with status %d (%s) ===", e.Pid, e.At.UTC().Format(at), e.Code, e.Reason)
	}
	return ""
}
