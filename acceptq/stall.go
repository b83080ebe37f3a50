package acceptq

import (
	"fmt"
	"time"
)

// Sample is one reading of a listening socket's queue.
type Sample struct {
	At      time.Time `json:"at"`
	Queue   int       `json:"queue"`   // connections that completed the handshake and wait to be accepted
	Backlog int       `json:"backlog"` // the most the kernel queues (listen(2)'s backlog, capped by the system)
	Addr    string    `json:"addr"`    // the socket's local address, host:port
	// Members identifies the connections waiting (Linux: a key of each
	// one's remote address and port, sorted); nil where the platform
	// does not tell (macOS). See Window.
	Members []uint64 `json:"-"`
	// Oldest is how long the longest-waiting connection had waited at
	// At, as the kernel tells it (Linux: tcp_info of the queued
	// connections; a lower bound); 0 where unknown. See Window.Next.
	Oldest time.Duration `json:"oldest,omitzero"`
}

// Waiting reports whether connections wait to be accepted.
func (s Sample) Waiting() bool { return s.Queue > 0 }

// Sampling cadence: a read a second costs next to nothing while nothing
// waits; once something does, the stall rule needs to see a drain within
// a tenth of a second of when it happens.
const (
	SlowInterval = time.Second
	FastInterval = 100 * time.Millisecond
)

// Interval is the wait before the sample after s: FastInterval while
// connections wait, SlowInterval otherwise.
func Interval(s Sample) time.Duration {
	if s.Waiting() {
		return FastInterval
	}
	return SlowInterval
}

// Window is the current stretch of samples in which connections waited
// and the child showed no sign of accepting any. A sign is the queue
// draining to zero, shrinking between two samples, or (where samples
// name the waiting connections) a connection that waited at one sample
// and no longer does at the next: connections that wait are only ever
// taken off the queue by accept (a client that gives up leaves its
// connection queued), so a shorter queue, or a connection gone from it,
// means the child accepted. The last sign catches a busy app whose
// clients reconnect as fast as it accepts, so the length alone never
// moves. The zero Window has seen nothing.
type Window struct {
	Start time.Time // when the stretch started (see Next); zero when nothing waits
	Seen  time.Time // the first sample of the stretch
	Last  Sample    // the latest sample
}

// MaxGap is the longest time between two samples that still counts as
// watching: a longer gap means hsup itself was not running (stopped,
// starved or asleep) and saw nothing of the queue meanwhile.
const MaxGap = 2 * SlowInterval

// Next is the window after sample s. A sample of another socket (the
// listener was replaced), or one more than MaxGap after the last, starts
// the stretch over at s. A stretch that starts after a sample with none
// waiting starts when its oldest connection came in (s.Oldest before s,
// but not before that sample, when the queue was empty): the queue has
// not been empty since, which is what the rule counts, and the wait
// between two samples is the watcher's, not the child's. The samples
// since must still show no sign of life for half the limit (Stalled): a
// busy app may have accepted an older connection just before the first
// of them.
func (w Window) Next(s Sample) Window {
	switch {
	case !s.Waiting():
		return Window{Last: s}
	case s.At.Sub(w.Last.At) > MaxGap, s.Addr != w.Last.Addr:
		return Window{Start: s.At, Seen: s.At, Last: s}
	case w.Start.IsZero():
		return Window{Start: arrival(s, w.Last.At), Seen: s.At, Last: s}
	case s.Queue < w.Last.Queue, departed(w.Last.Members, s.Members):
		return Window{Start: s.At, Seen: s.At, Last: s}
	}
	w.Last = s
	return w
}

// arrival is when the oldest connection waiting at s came in, as far as
// s tells, and not before empty: s.At when s does not tell.
func arrival(s Sample, empty time.Time) time.Time {
	at := s.At.Add(-s.Oldest)
	if at.Before(empty) {
		return empty
	}
	return at
}

// Due is when the stall rule will hold if the queue stays as it is and no
// probe is answered: the time to take the next sample at the latest, so
// that the verdict does not wait for the sampling cadence. false when
// none wait.
func (w Window) Due(answered time.Time, limit time.Duration) (time.Time, bool) {
	if w.Start.IsZero() || limit <= 0 {
		return time.Time{}, false
	}
	return later(later(w.Start, answered).Add(limit), w.Seen.Add(limit/2)), true
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// departed reports whether a connection of before (sorted) is missing
// from after (sorted). Unknown members (nil) tell nothing.
func departed(before, after []uint64) bool {
	if before == nil || after == nil {
		return false
	}
	j := 0
	for _, k := range before {
		for j < len(after) && after[j] < k {
			j++
		}
		if j == len(after) || after[j] != k {
			return true
		}
	}
	return false
}

// Stall is the evidence of a stuck accept queue.
type Stall struct {
	Queue   int           // connections waiting at the last sample
	Backlog int           // the socket's backlog
	Addr    string        // the socket's local address
	For     time.Duration // how long they have waited with no sign of life (no drain, no answered probe)
}

// Reason is the restart reason of a stalled accept queue.
const Reason = "accept_stall"

// Sentence says the stall in words, for the log and the restart reason.
func (s Stall) Sentence() string {
	conns := "connections"
	if s.Queue == 1 {
		conns = "connection"
	}
	backlog := "backlog unknown"
	if s.Backlog > 0 {
		backlog = fmt.Sprintf("backlog %d", s.Backlog)
	}
	return fmt.Sprintf("%d %s waited in the accept queue of %s for %s (%s) and no probe was answered",
		s.Queue, conns, s.Addr, s.For.Round(100*time.Millisecond), backlog)
}

// Stalled is the stall rule: true when connections have waited, with no
// drain and no shrink of the queue, for at least limit, and no probe was
// answered in that time; the samples of the stretch must span half the
// limit (see Next). answered is when the last probe was answered
// (zero: none); a probe answered while connections wait means the child
// still accepts, so the time counts from the later of the two. limit <= 0
// turns the rule off. Only w matters: the rule reads no clock, and time
// is the samples' time.
func (w Window) Stalled(answered time.Time, limit time.Duration) (Stall, bool) {
	st, ok := w.Waited(answered)
	if limit <= 0 || !ok || st.For < limit || w.Last.At.Sub(w.Seen) < limit/2 {
		return Stall{}, false
	}
	return st, true
}

// Waited is the evidence so far: how long connections have waited with
// no sign of life as of the last sample, counted as Stalled counts; false
// when none wait.
func (w Window) Waited(answered time.Time) (Stall, bool) {
	if w.Start.IsZero() {
		return Stall{}, false
	}
	from := later(w.Start, answered)
	return Stall{Queue: w.Last.Queue, Backlog: w.Last.Backlog, Addr: w.Last.Addr, For: max(w.Last.At.Sub(from), 0)}, true
}

// Judge runs the stall rule over a series of samples, oldest first: what
// a watcher that took them one by one would conclude after the last.
func Judge(samples []Sample, answered time.Time, limit time.Duration) (Stall, bool) {
	var w Window
	for _, s := range samples {
		w = w.Next(s)
	}
	return w.Stalled(answered, limit)
}
