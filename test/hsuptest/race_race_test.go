//go:build race

package hsuptest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hsup/hsup/test/reexec"
)

func init() { reexec.Register("race", racer) }

// racer writes one variable from two goroutines without synchronisation.
func racer(...string) int {
	var n int
	done := make(chan struct{})
	go func() { n++; close(done) }()
	n++
	<-done
	fmt.Fprintln(os.Stderr, "racer done", n)
	return 0
}

// TestRaceFailsTest runs a racy program the way Start runs hsup and wants
// the test that started it failed with the race detector's report.
func TestRaceFailsTest(t *testing.T) {
	rec := &recorder{TB: t}
	t.Cleanup(rec.cleanup) // kills the racer if the test ends early
	p := startCmd(rec, exec.Command(os.Args[0]), []string{reexec.Env(t, "race")})
	if code := p.Wait(t, 30*time.Second); code != 66 {
		t.Fatalf("racer exited %d, want the race detector's 66", code)
	}
	rec.cleanup()
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "WARNING: DATA RACE") {
		t.Fatalf("errors reported to the test: %q, want one with the race report", rec.errors)
	}
}

// recorder is a testing.TB that keeps Errorf's messages and the cleanups
// instead of failing and running them.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	errors   []string
	cleanups []func()
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// cleanup runs the recorded cleanups, last first, once.
func (r *recorder) cleanup() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.cleanups = nil
}
