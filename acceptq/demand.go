package acceptq

import "time"

// maxSpans bounds Demand's memory: the oldest span is dropped past it. A
// query about a moment older than the oldest span kept sees demand later
// than it was, which only makes the heartbeat rule start its clock later.
const maxSpans = 64

// span is a stretch in which connections waited (from the first sample
// that saw them to the last), or the moment of one accepted connection.
type span struct{ from, to time.Time }

// Demand remembers when connections came in: the samples that saw some
// waiting, and the connections known to have been accepted (an answered
// probe on the watched port). The heartbeat rule asks it whether anything
// came in since the counter last moved: a counter that stood still while
// nothing came in is idle, not stale. The zero Demand has seen nothing;
// it is not safe for concurrent use.
type Demand struct {
	spans []span
	open  bool // the last span is a stretch still going on (its last sample saw connections waiting)
}

// Sampled records sample s: a waiting queue starts or extends a stretch,
// an empty one ends it.
func (d *Demand) Sampled(s Sample) {
	switch {
	case !s.Waiting():
		d.open = false
	case d.open:
		d.spans[len(d.spans)-1].to = s.At
	default:
		d.add(span{from: s.At, to: s.At})
		d.open = true
	}
}

// Accepted records that a connection was accepted at at (an answered
// probe on the watched port).
func (d *Demand) Accepted(at time.Time) {
	if d.open { // keep the open stretch last, so Sampled extends it
		last := d.spans[len(d.spans)-1]
		d.spans[len(d.spans)-1] = span{from: at, to: at}
		d.add(last)
		return
	}
	d.add(span{from: at, to: at})
}

func (d *Demand) add(s span) {
	if len(d.spans) == maxSpans {
		d.spans = append(d.spans[:0], d.spans[1:]...)
	}
	d.spans = append(d.spans, s)
}

// Since returns the first moment at or after since at which connections
// waited or were accepted, and false when there was none.
func (d *Demand) Since(since time.Time) (time.Time, bool) {
	var first time.Time
	found := false
	for _, s := range d.spans {
		if s.to.Before(since) {
			continue
		}
		at := s.from
		if at.Before(since) {
			at = since // the stretch was going on at since
		}
		if !found || at.Before(first) {
			first, found = at, true
		}
	}
	return first, found
}
