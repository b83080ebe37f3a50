package ledger

import "time"

// Summary is what an operator asks of the ledger first: how often the
// child was restarted lately and why, the last restart and its evidence,
// and when hsup was last seen.
type Summary struct {
	// LastSeen is the newest line's time, LastEvent its event.
	LastSeen  time.Time `json:"last_seen,omitzero"`
	LastEvent string    `json:"last_event,omitempty"`
	// HsupStarted is the newest hsup_started line's time and Version its
	// hsup's version.
	HsupStarted time.Time `json:"hsup_started,omitzero"`
	Version     string    `json:"version,omitempty"`
	// Stopped is the hsup_stopped line of the newest hsup, nil when that
	// hsup recorded no stop (it runs, or it was killed, or the machine
	// went down).
	Stopped *Stopped `json:"stopped,omitempty"`
	// Restarts counts the restarts decided (backoff lines) in the last
	// hour, day and week, in that order.
	Restarts []Window `json:"restarts"`
	// LastRestart is the newest restart, nil when there was none.
	LastRestart *Restart `json:"last_restart,omitempty"`
}

// Stopped is an hsup's recorded stop.
type Stopped struct {
	At   time.Time `json:"at"`
	Code int       `json:"code"`
}

// Window is the restarts of one span of time up to now.
type Window struct {
	Span    string         `json:"span"` // hour, day, week
	Count   int            `json:"count"`
	Reasons map[string]int `json:"reasons,omitempty"` // count per reason
}

// Restart is one restart: why, and its evidence.
type Restart struct {
	Seq      int64     `json:"seq"` // of its backoff line
	At       time.Time `json:"at"`
	Reason   string    `json:"reason"`
	Sentence string    `json:"sentence,omitempty"`
	Bundle   string    `json:"bundle,omitempty"` // the bundle captured before it
	Pid      int       `json:"pid,omitempty"`    // the child it ended
	Code     *int      `json:"code,omitempty"`   // that child's exit status
}

// summarized says which events' lines Summarize reads beyond their seq,
// time and event.
func summarized(event string) bool {
	switch event {
	case EventHsupStarted, EventHsupStopped, EventBundleWritten, EventExited, EventBackoff:
		return true
	}
	return false
}

// Spans are the windows of Summary.Restarts.
var Spans = []struct {
	Name string
	Span time.Duration
}{{"hour", time.Hour}, {"day", 24 * time.Hour}, {"week", 7 * 24 * time.Hour}}

// Summarize summarizes entries (in seq order, as Read returns them) as of
// now.
func Summarize(entries []Entry, now time.Time) Summary {
	s := newSummarizer(now)
	for _, e := range entries {
		s.add(e)
	}
	return s.Summary
}

// summarizer builds a Summary one entry at a time, in seq order.
type summarizer struct {
	Summary
	now    time.Time
	bundle string   // the restart bundle of the current child
	exit   *Restart // the current child's exit
}

func newSummarizer(now time.Time) *summarizer {
	s := &summarizer{now: now}
	for _, sp := range Spans {
		s.Restarts = append(s.Restarts, Window{Span: sp.Name})
	}
	return s
}

func (s *summarizer) add(e Entry) {
	at := e.Time()
	if !at.IsZero() && !at.Before(s.LastSeen) { // the later of two lines stamped alike
		s.LastSeen, s.LastEvent = at, e.Event
	}
	switch e.Event {
	case EventHsupStarted:
		s.HsupStarted, s.Version, s.Stopped = at, e.Version, nil
	case EventHsupStopped:
		if e.Code != nil {
			s.Stopped = &Stopped{At: at, Code: *e.Code}
		}
	case EventChildStarted:
		s.bundle, s.exit = "", nil
	case EventBundleWritten:
		if e.Restart && e.Path != "" {
			s.bundle = e.Path
		}
	case EventExited:
		s.exit = &Restart{Pid: e.Pid, Code: e.Code}
	case EventBackoff:
		r := Restart{Seq: e.Seq, At: at, Reason: e.Reason, Sentence: e.Sentence, Bundle: s.bundle}
		if s.exit != nil {
			r.Pid, r.Code = s.exit.Pid, s.exit.Code
		}
		s.LastRestart = &r
		s.count(r, s.now)
	}
}

// count adds restart r to the windows it falls in.
func (s *Summary) count(r Restart, now time.Time) {
	if r.At.IsZero() {
		return
	}
	for i, sp := range Spans {
		if now.Sub(r.At) > sp.Span { // one stamped after now (a clock set back) counts as recent

			continue
		}
		w := &s.Restarts[i]
		w.Count++
		if w.Reasons == nil {
			w.Reasons = map[string]int{}
		}
		w.Reasons[r.Reason]++
	}
}
