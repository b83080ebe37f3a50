package diagnose

import "sync"

// Tail is an io.Writer that keeps the last N bytes written to it: the
// child's recent stdout and stderr, for output-tail.txt. It is safe for
// concurrent use, so stdout and stderr copiers may share one Tail.
type Tail struct {
	mu   sync.Mutex
	buf  []byte // the bytes kept: grows with the output up to size, then a ring
	size int    // capacity N
	next int    // where the next byte goes (len(buf) while it grows)
	full bool   // the ring has wrapped at least once
}

// NewTail returns a Tail keeping the last size bytes (256 KiB is a good
// default: several Python tracebacks or a JVM thread dump). A size below 1
// is treated as 1. Its memory grows with the output: a quiet child's
// tail costs what it printed, not size.
func NewTail(size int) *Tail {
	return &Tail{size: max(size, 1)}
}

// Write keeps the newest bytes of p; it never fails and always reports
// len(p) written, so a tee to the real output is never cut short.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.write(p)
	return len(p), nil
}

// write keeps the newest bytes of p; t.mu is held.
func (t *Tail) write(p []byte) {
	if len(t.buf) < t.size { // still growing
		p = t.grow(p)
		if len(p) == 0 {
			return
		}
	}
	if len(p) >= t.size {
		copy(t.buf, p[len(p)-t.size:])
		t.next, t.full = 0, true
		return
	}
	c := copy(t.buf[t.next:], p)
	if c < len(p) {
		copy(t.buf, p[c:])
		t.full = true
	}
	t.next = (t.next + len(p)) % t.size
	if t.next == 0 && len(p) > 0 {
		t.full = true
	}
}

// grow appends what of p fits before the tail reaches size, at most
// doubling its storage each time, and returns the rest; once it reaches
// size the tail is a ring whose next byte goes at the start.
func (t *Tail) grow(p []byte) []byte {
	n := min(len(p), t.size-len(t.buf))
	if need := len(t.buf) + n; need > cap(t.buf) {
		grown := make([]byte, len(t.buf), min(t.size, max(need, 2*cap(t.buf), 4<<10)))
		copy(grown, t.buf)
		t.buf = grown
	}
	t.buf = append(t.buf, p[:n]...)
	t.next = len(t.buf) % t.size
	t.full = t.full || len(t.buf) == t.size
	return p[n:]
}

// Bytes returns a copy of the kept bytes, oldest first.
func (t *Tail) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.full {
		return append([]byte(nil), t.buf[:t.next]...)
	}
	out := make([]byte, 0, t.size)
	out = append(out, t.buf[t.next:]...)
	return append(out, t.buf[:t.next]...)
}

// Mark writes line into the tail on a line of its own (a newline first
// when the last byte kept does not end a line), so that a reader of
// output-tail.txt sees where something began: hsup marks the start of
// each child's output.
func (t *Tail) Mark(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, have := t.lastByte(); have && last != '\n' {
		line = "\n" + line
	}
	t.write([]byte(line + "\n"))
}

// lastByte is the newest byte kept; have is false when the tail is empty.
func (t *Tail) lastByte() (b byte, have bool) {
	switch {
	case t.next > 0:
		return t.buf[t.next-1], true
	case t.full:
		return t.buf[t.size-1], true
	}
	return 0, false
}
