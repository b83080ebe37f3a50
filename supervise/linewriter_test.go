package supervise

import (
	"bytes"
	"sync"
)

// lineWriter turns a child's output into lines on a channel.
type lineWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ch  chan string
}

func newLineWriter() *lineWriter { return &lineWriter{ch: make(chan string, 64)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		select {
		case w.ch <- line[:len(line)-1]:
		default: // a test that stopped reading must not block the child
		}
	}
}
