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

// TestSummariesSlowVolume: a read that blocks (a hung volume) costs a
// request at most its wait; the read goes on, and a later request gets its
// result.
func TestSummariesSlowVolume(t *testing.T) {
	release := make(chan struct{})
	c := summaries{read: func(string) (Summary, error) {
		<-release
		return Summary{Reason: "heartbeat"}, nil
	}}
	start := time.Now()
	if _, err := c.get("/b/1", 100*time.Millisecond); !errors.Is(err, errSlow) {
		t.Fatalf("blocked read: %v, want errSlow", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a blocked read held the request %v, want about its 100ms wait", took)
	}
	close(release)
	s, err := c.get("/b/1", 10*time.Second)
	if err != nil || s.Reason != "heartbeat" {
		t.Errorf("after the volume answered: %+v, %v; want reason heartbeat", s, err)
	}
}

// A summary.json that is a FIFO, a symlink or not hsup's is refused at
// once: its open would wait for a writer, or it is not the bundle's.
func TestReadSummaryRefusesWhatIsNotTheBundles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "summary.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readSummary(dir); err == nil {
		t.Error("a FIFO summary.json was read")
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "x.json"), []byte(`{"reason":"secret"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	link := t.TempDir()
	if err := os.Symlink(filepath.Join(other, "x.json"), filepath.Join(link, "summary.json")); err != nil {
		t.Fatal(err)
	}
	if s, err := readSummary(link); err == nil {
		t.Errorf("a symlinked summary.json was followed: %+v", s)
	}
}
