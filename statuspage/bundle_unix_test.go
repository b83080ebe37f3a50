//go:build unix

package statuspage

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSummariesSlowVolume: a summary.json whose open blocks (a FIFO with
// no writer stands in for a hung volume) costs a request at most its wait;
// the read goes on, and a later request gets its result.
func TestSummariesSlowVolume(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "summary.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var c summaries
	start := time.Now()
	if _, err := c.get(dir, 100*time.Millisecond); !errors.Is(err, errSlow) {
		t.Fatalf("blocked read: %v, want errSlow", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a blocked read held the request %v, want about its 100ms wait", took)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // unblocks the reader's open
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.WriteString(`{"reason":"heartbeat"}`)
	_ = w.Close()
	s, err := c.get(dir, 10*time.Second)
	if err != nil || s.Reason != "heartbeat" {
		t.Errorf("after the volume answered: %+v, %v; want reason heartbeat", s, err)
	}
}
