package reexec

import (
	"bytes"
	"sync"
)

// LineWriter turns a helper's output into lines on C. Lines nobody waits
// for are dropped once C is full: a test that stopped reading never
// blocks the helper.
type LineWriter struct {
	C chan string

	mu      sync.Mutex
	partial []byte
}

// NewLineWriter returns a LineWriter whose channel holds up to n lines.
func NewLineWriter(n int) *LineWriter { return &LineWriter{C: make(chan string, n)} }

func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case w.C <- string(w.partial[:i]):
		default:
		}
		w.partial = w.partial[i+1:]
	}
}
