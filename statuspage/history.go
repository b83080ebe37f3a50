package statuspage

import (
	"slices"
	"sync"
	"time"
)

// Bounds of a History: what the page can show, and all it keeps.
const (
	// EntryCap is how many timeline entries are kept (the oldest go first).
	EntryCap = 512
	// BucketWidth is the resolution of the charts' series.
	BucketWidth = 10 * time.Second
	// BucketCap buckets of BucketWidth make the charts' hour.
	BucketCap = int(time.Hour / BucketWidth)
	// HourCap clock hours of restart counts: the timeline's 24 and the
	// one before, so the window is whole as an hour begins.
	HourCap = 25
)

// Kinds of timeline entries.
const (
	KindDegraded  = "degraded"   // a monitor judged the child degraded
	KindRestart   = "restart"    // a restart was decided (backoff begins)
	KindBundle    = "bundle"     // a restart's bundle was written
	KindCrashLoop = "crash_loop" // restarts in a row without a healthy run
	KindGaveUp    = "gave_up"    // hsup stopped retrying
)

// Entry is one thing on the timeline.
type Entry struct {
	At      time.Time
	Kind    string // one of the Kind constants
	Pid     int    // the child's, 0 when none
	Reason  string // health, deep, heartbeat, exit, fd_pressure, ...
	Detail  string // the verdict's sentence
	Attempt int    // KindRestart: 1-based, since the last backoff reset
	Delay   time.Duration
	Bundle  string // KindBundle: the bundle's directory
}

// Bucket aggregates the samples of one BucketWidth of a series.
type Bucket struct {
	Start  time.Time
	At     time.Time // the latest sample's time
	Max    float64   // the largest sample
	Last   float64   // the latest sample
	N      int       // samples
	Failed int       // samples that were failures (probes)
}

// History is the page's memory: timeline entries, the child's open FDs and
// its limit, and the probes' latency per kind. Every method is safe for
// concurrent use and holds the lock only to copy values.
type History struct {
	mu      sync.Mutex
	entries ring[Entry]
	hours   ring[hourCount] // restarts per clock hour, exact however many
	fds     series
	limit   uint64 // the child's soft limit at the latest FD sample, 0 unknown
	probes  map[string]*series
	cut     time.Time // the latest restart: no bucket spans it
}

// NewHistory returns an empty History.
func NewHistory() *History {
	return &History{entries: newRing[Entry](EntryCap), hours: newRing[hourCount](HourCap), fds: newSeries(), probes: map[string]*series{}}
}

// Record adds a timeline entry, and counts a KindRestart in its hour. It
// only copies e under the lock: safe on the supervisor's loop.
func (h *History) Record(e Entry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries.push(e)
	if e.Kind != KindRestart {
		return
	}
	h.cut = e.At
	hour := e.At.Truncate(time.Hour)
	last, ok := h.hours.last()
	if !ok || hour.After(last.Start) {
		h.hours.push(hourCount{Start: hour})
		last, _ = h.hours.last()
	}
	last.add(e.Reason) // a clock step back counts in the latest hour
}

// FDs adds a sample of the child's open descriptors and soft limit (0:
// unknown).
func (h *History) FDs(at time.Time, open int, limit uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fds.add(at, float64(open), false, h.cut)
	h.limit = limit
}

// Probe adds one probe's latency under its kind ("cheap", "deep"); failed
// marks a probe that did not pass. Kinds are few: at most maxKinds series
// are kept, further kinds are dropped.
func (h *History) Probe(kind string, at time.Time, took time.Duration, failed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.probes[kind]
	if !ok {
		if len(h.probes) >= maxKinds {
			return
		}
		ns := newSeries()
		s = &ns
		h.probes[kind] = s
	}
	s.add(at, took.Seconds(), failed, h.cut)
}

// maxKinds bounds the probe series of a History.
const maxKinds = 4

// snapshot is a copy of a History at one moment, oldest first.
type snapshot struct {
	entries []Entry
	hours   []hourCount
	fds     []Bucket
	limit   uint64
	probes  map[string][]Bucket
}

func (h *History) snapshot() snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := snapshot{entries: h.entries.slice(), hours: h.hours.slice(), fds: h.fds.r.slice(), limit: h.limit, probes: make(map[string][]Bucket, len(h.probes))}
	for i := range s.hours { // add changes Reasons in place
		s.hours[i].Reasons = slices.Clone(s.hours[i].Reasons)
	}
	for k, p := range h.probes {
		s.probes[k] = p.r.slice()
	}
	return s
}

// ring keeps the latest size values pushed. Its storage grows with what
// was pushed, up to size, and then wraps: a page that nobody looks at
// and a child that seldom restarts cost little.
type ring[T any] struct {
	buf  []T
	size int
	next int // once len(buf) == size: where the next value goes
}

func newRing[T any](size int) ring[T] { return ring[T]{size: max(size, 1)} }

func (r *ring[T]) push(v T) {
	if len(r.buf) < r.size {
		if len(r.buf) == cap(r.buf) {
			grown := make([]T, len(r.buf), min(r.size, max(8, 2*cap(r.buf))))
			copy(grown, r.buf)
			r.buf = grown
		}
		r.buf = append(r.buf, v)
		return
	}
	r.buf[r.next] = v
	r.next = (r.next + 1) % r.size
}

func (r *ring[T]) len() int { return len(r.buf) }

// last is the latest value pushed; ok is false when none was.
func (r *ring[T]) last() (*T, bool) {
	switch {
	case len(r.buf) == 0:
		return nil, false
	case len(r.buf) < r.size:
		return &r.buf[len(r.buf)-1], true
	}
	return &r.buf[(r.next-1+r.size)%r.size], true
}

// slice copies the values out, oldest first.
func (r *ring[T]) slice() []T {
	return append(append(make([]T, 0, len(r.buf)), r.buf[r.next:]...), r.buf[:r.next]...)
}

// series is a ring of BucketWidth buckets.
type series struct{ r ring[Bucket] }

func newSeries() series { return series{r: newRing[Bucket](BucketCap)} }

// add folds a sample into its bucket. A sample older than the latest
// bucket (a clock step back) is folded into the latest one. A sample
// after cut (the latest restart) never joins a bucket from before it:
// one child's numbers are not mixed with the next one's.
func (s *series) add(at time.Time, v float64, failed bool, cut time.Time) {
	start := at.Truncate(BucketWidth)
	b, ok := s.r.last()
	if !ok || start.After(b.Start) || (b.At.Before(cut) && !at.Before(cut)) {
		s.r.push(Bucket{Start: start, At: at, Max: v, Last: v, N: 1, Failed: boolInt(failed)})
		return
	}
	if at.After(b.At) {
		b.At = at
	}
	b.Max = max(b.Max, v)
	b.Last = v
	b.N++
	b.Failed += boolInt(failed)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
