package output

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultSize      = 256 << 10
	DefaultStall     = 250 * time.Millisecond
	DefaultFlushWait = time.Second
	// unblockWait bounds how long Flush waits for the drain to end after
	// it set a write deadline in the past on a destination that has one.
	unblockWait = 100 * time.Millisecond
)

// Options configure a Writer; zero fields take the defaults.
type Options struct {
	// Size bounds the bytes accepted and not yet handed to the destination
	// (default 256 KiB). A write that does not fit is dropped as a whole.
	Size int
	// Stall is how long one write to the destination may go on before the
	// destination counts as stalled (default 250 ms): Paced waits for room
	// only while the destination is not stalled.
	Stall time.Duration
	// FlushWait bounds Sync (default 1 s).
	FlushWait time.Duration
	// Notice, when set, formats what is written in the stream before the
	// first bytes that follow a gap of n dropped bytes. When the bytes
	// before the gap did not end a line, a newline comes first.
	Notice func(n int64) []byte
}

// Writer is an io.Writer over a destination that may stall or fail: see
// the package documentation. It is safe for concurrent use; each Write is
// handed to the destination whole and in order, or dropped whole.
type Writer struct {
	dst     io.Writer
	opts    Options
	dropped atomic.Int64

	mu       sync.Mutex
	pending  []byte        // accepted, not yet handed to dst
	spare    []byte        // the buffer last handed to dst, reused
	lost     int64         // dropped since the last notice
	gap      int           // where in pending the notice goes; -1: none
	since    time.Time     // when the write in flight began; zero when none
	room     chan struct{} // closed (and replaced) when the drain takes pending
	done     chan struct{} // non-nil while the drain runs; closed when it ends
	closed   bool
	lineOpen bool // the last byte handed to dst was not a newline
}

// New returns a Writer to dst.
func New(dst io.Writer, opts Options) *Writer {
	if opts.Size <= 0 {
		opts.Size = DefaultSize
	}
	if opts.Stall <= 0 {
		opts.Stall = DefaultStall
	}
	if opts.FlushWait <= 0 {
		opts.FlushWait = DefaultFlushWait
	}
	return &Writer{dst: dst, opts: opts, room: make(chan struct{}), gap: -1}
}

// Write accepts p, or drops it when it does not fit; it never waits and
// always reports len(p) written with a nil error.
func (w *Writer) Write(p []byte) (int, error) {
	w.accept(p, false)
	return len(p), nil
}

// Paced returns a writer to w whose Write waits for room while the
// destination is not stalled, and drops when it is (see Options.Stall).
// It always reports len(p) written with a nil error.
func (w *Writer) Paced() io.Writer { return paced{w} }

type paced struct{ w *Writer }

func (p paced) Write(b []byte) (int, error) {
	p.w.accept(b, true)
	return len(b), nil
}

// Dropped is how many bytes were dropped so far: those that did not fit,
// those written after Close, and those the destination refused.
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

// Sync flushes within Options.FlushWait; it makes a Writer a
// zapcore.WriteSyncer.
func (w *Writer) Sync() error {
	ctx, cancel := context.WithTimeout(context.Background(), w.opts.FlushWait)
	defer cancel()
	return w.Flush(ctx)
}

// Close drops every later write and flushes what was accepted (Flush).
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return w.Flush(ctx)
}

// Flush waits until everything accepted was handed to the destination and
// the drain goroutine has ended, or ctx is done. Then, when the
// destination has a write deadline (a pollable pipe or socket), it is set
// to now so that the stalled write fails, what is left is dropped and the
// drain ends; otherwise the drain stays blocked in the destination's
// write until that returns, and Flush reports the error.
func (w *Writer) Flush(ctx context.Context) error {
	w.mu.Lock()
	done := w.done
	w.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	if d, ok := w.dst.(interface{ SetWriteDeadline(time.Time) error }); ok && d.SetWriteDeadline(time.Now()) == nil {
		defer func() { _ = d.SetWriteDeadline(time.Time{}) }()
		t := time.NewTimer(unblockWait)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		}
	}
	return fmt.Errorf("output not flushed, the destination stalled: %w", context.Cause(ctx))
}

// accept appends p to pending and makes sure the drain runs; with pace it
// first waits for room while the destination is not stalled.
func (w *Writer) accept(p []byte, pace bool) {
	if len(p) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for pace && !w.closed && len(p) <= w.opts.Size && len(w.pending)+len(p) > w.opts.Size {
		wait := w.stallIn(time.Now())
		if wait <= 0 {
			break
		}
		room := w.room
		w.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-room:
		case <-t.C:
		}
		t.Stop()
		w.mu.Lock()
	}
	if w.closed || len(w.pending)+len(p) > w.opts.Size {
		w.drop(int64(len(p)), len(w.pending))
		return
	}
	w.pending = append(w.pending, p...)
	if w.done == nil {
		w.done = make(chan struct{})
		go w.drain(w.done)
	}
}

// stallIn is how long until the destination counts as stalled; 0 or less
// when it does. Called with mu held while pending is full, so the drain runs.
func (w *Writer) stallIn(now time.Time) time.Duration {
	if w.since.IsZero() { // the drain is between writes: it takes pending next
		return w.opts.Stall
	}
	return w.since.Add(w.opts.Stall).Sub(now)
}

// drain hands pending to the destination until nothing is pending, then
// ends (closing done): no goroutine is left while the Writer is idle. The
// notice of what was dropped goes where the last drop happened.
func (w *Writer) drain(done chan struct{}) {
	w.mu.Lock()
	for len(w.pending) > 0 {
		buf, gap, lost := w.pending, w.gap, int64(0)
		w.pending, w.gap = w.spare[:0], -1
		close(w.room)
		w.room = make(chan struct{})
		if gap < 0 {
			gap = len(buf)
		} else {
			lost = w.lost // dropped up to now: the notice at gap reports it
		}
		w.since = time.Now()
		n, err := w.writeLocked(buf[:gap])
		if err == nil {
			var m int
			m, err = w.writeLocked(w.notice(lost))
			if err == nil {
				m, err = w.writeLocked(buf[gap:])
				n += m
			}
		}
		w.since = time.Time{}
		if err != nil && n < len(buf) {
			w.drop(int64(len(buf)-n), 0)
		}
		w.spare = buf[:0]
	}
	w.done = nil
	w.mu.Unlock()
	close(done)
}

// writeLocked writes b to the destination with mu released, and notes
// whether it left a line open; called with mu held.
func (w *Writer) writeLocked(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	w.mu.Unlock()
	n, err := w.dst.Write(b)
	w.mu.Lock()
	if n > 0 {
		w.lineOpen = b[n-1] != '\n'
	}
	return n, err
}

// drop counts n dropped bytes whose gap is at offset at of pending (the
// last gap is where the notice goes); called with mu held.
func (w *Writer) drop(n int64, at int) {
	w.dropped.Add(n)
	w.lost += n
	w.gap = max(w.gap, at)
}

// notice is what to write where n bytes were dropped, on a line of its
// own; nil when n is 0. Called with mu held.
func (w *Writer) notice(n int64) []byte {
	if n == 0 || w.opts.Notice == nil {
		return nil
	}
	b := w.opts.Notice(n)
	w.lost -= n
	if w.lineOpen {
		b = append([]byte{'\n'}, b...)
	}
	return b
}
