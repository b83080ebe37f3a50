package diagnose

import "sync"

// Tail is an io.Writer that keeps the last N bytes written to it: the
// child's recent stdout and stderr, for output-tail.txt. It is safe for
// concurrent use, so stdout and stderr copiers may share one Tail.
type Tail struct {
	mu   sync.Mutex
	buf  []byte // ring storage, len(buf) == capacity once allocated
	size int    // capacity N
	next int    // where the next byte goes
	full bool   // the ring has wrapped at least once
}

// NewTail returns a Tail keeping the last size bytes (256 KiB is a good
// default: several Python tracebacks or a JVM thread dump). A size below 1
// is treated as 1.
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
	if t.buf == nil {
		t.buf = make([]byte, t.size)
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
