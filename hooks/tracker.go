package hooks

import (
	"strconv"
	"time"

	"github.com/hsup/hsup/supervise"
)

// Tracker turns the supervisor's events into the events hooks run for.
// It keeps what the supervisor's events tell in passing (the cause of the
// restart under way, its bundle, the last exit status) and decides:
//
//   - degraded fires when the verdict's bundle is written (the restart's
//     CaptureFinished), so HSUP_BUNDLE is set; when no bundle is captured
//     (captures off, a port_held verdict) it fires at the stop that follows
//     the verdict. A restart an operator asked for (reason manual) is no
//     degradation: it fires restarted only.
//   - restarted fires at the start of every replacement child.
//   - recovered fires when the first child after trouble (a degraded
//     verdict, a crash, a failed start) proves healthy. Only a health probe
//     proves it: without --health-url hsup cannot tell that the service
//     serves, and recovered never fires.
//   - crash_loop and gave_up fire as the supervisor announces them. While
//     a crash loop goes on, degraded and restarted do not fire again: one
//     alert per loop, then recovered or gave_up. The loop is over when the
//     child recovers or the supervisor's streak resets (a backoff of
//     attempt 1).
//
// Observe runs on the supervisor's loop: it only computes. Only that
// goroutine may call it.
type Tracker struct {
	name   string
	probed bool

	verdict  *supervise.ChildDegraded // judged; its bundle not yet written
	reason   string                   // the cause of the restart under way or last made
	detail   string
	bundle   string // the bundle of that restart, "" when none
	trouble  bool   // an unplanned restart since the last healthy child
	looping  bool   // a crash loop was announced and goes on
	restarts int    // restarts decided since hsup started
	lastPid  int    // the last child that exited
	code     int    // its status (or a failed start's 126/127)
	exited   bool   // code is known
}

// NewTracker tracks the children of service name; probed says whether a
// health probe judges them (--health-url set).
func NewTracker(name string, probed bool) *Tracker {
	return &Tracker{name: name, probed: probed}
}

// Observe takes the supervisor's next event and returns the hook event it
// fires, if any.
func (t *Tracker) Observe(e supervise.Event) (Event, bool) {
	switch e := e.(type) {
	case supervise.ChildDegraded:
		t.judged(e)
	case supervise.CaptureFinished:
		if e.Restart {
			t.bundle = e.Dir
			return t.flush()
		}
	case supervise.ChildStopping:
		return t.flush()
	case supervise.ChildExited:
		ev, ok := t.flush()
		t.childExited(e)
		return ev, ok
	case supervise.StartFailed:
		t.lastPid, t.trouble = 0, true
		t.reason, t.detail, t.bundle = supervise.ReasonExit, e.Err.Error(), ""
		if e.Transient { // hsup was short of a resource; the program never ran
			t.reason = supervise.ReasonHsup
		} else {
			t.code, t.exited = e.Code, true
		}
	case supervise.BackingOff:
		t.restarts, t.reason, t.detail = e.Restarts, e.Reason, e.Detail
		t.looping = t.looping && e.Attempt != 1
	case supervise.ChildStarted:
		if e.Restart && !t.looping {
			ev := t.event(Restarted, e.At)
			ev.Pid, ev.Code = e.Pid, t.lastCode()
			return ev, true
		}
	case supervise.ChildHealthy:
		return t.healthy(e)
	case supervise.CrashLoop:
		t.looping = true
		return t.loop(CrashLoop, e.At, e.Restarts, e.Reason, e.Detail, e.Code), true
	case supervise.GaveUp:
		return t.loop(GaveUp, e.At, e.Restarts, e.Reason, e.Detail, e.Code), true
	}
	return Event{}, false
}

func (t *Tracker) judged(e supervise.ChildDegraded) {
	t.reason, t.detail, t.bundle = e.Reason, e.Detail, ""
	if e.Reason == supervise.ReasonManual {
		return
	}
	t.trouble = true
	t.verdict = &e
}

// flush fires degraded for a verdict whose bundle is written, or that will
// get none: the child is being stopped, or is gone.
func (t *Tracker) flush() (Event, bool) {
	v := t.verdict
	if v == nil {
		return Event{}, false
	}
	t.verdict = nil
	if t.looping {
		return Event{}, false
	}
	ev := t.event(Degraded, v.At)
	ev.Pid = v.Pid
	return ev, true
}

func (t *Tracker) childExited(e supervise.ChildExited) {
	t.lastPid, t.code, t.exited = e.Pid, e.Code, true
	if e.Reason != supervise.ReasonExit {
		return // hsup stopped it: the verdict is the cause
	}
	t.reason, t.detail, t.bundle = supervise.ReasonExit, "", ""
	if e.Code != 0 {
		t.trouble = true
	}
}

func (t *Tracker) healthy(e supervise.ChildHealthy) (Event, bool) {
	fire := t.probed && t.trouble
	t.trouble = false
	if !fire {
		return Event{}, false
	}
	t.looping = false
	ev := t.event(Recovered, e.At)
	ev.Pid = e.Pid
	return ev, true
}

func (t *Tracker) loop(name string, at time.Time, restarts int, reason, detail string, code int) Event {
	why := strconv.Itoa(restarts) + " restarts in a row without a healthy run"
	if name == GaveUp {
		why = "gave up after " + why + " (hsup exits " + strconv.Itoa(supervise.ExitGaveUp) + ")"
	}
	return Event{Event: name, Name: t.name, Reason: reason, Sentence: why + "; the last: " + sentence(reason, detail, code, true),
		Pid: t.lastPid, Bundle: t.bundle, Restarts: restarts, Code: &code, Time: at}
}

// event is name about the cause the tracker knows, at time at.
func (t *Tracker) event(name string, at time.Time) Event {
	return Event{Event: name, Name: t.name, Reason: t.reason, Sentence: sentence(t.reason, t.detail, t.code, t.exited),
		Bundle: t.bundle, Restarts: t.restarts, Time: at}
}

func (t *Tracker) lastCode() *int {
	if !t.exited {
		return nil
	}
	c := t.code
	return &c
}
