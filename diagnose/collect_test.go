package diagnose

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRunAllBounded: a collector that ignores its context is abandoned
// after its budget plus abandonGrace; the others are recorded as they are.
func TestRunAllBounded(t *testing.T) {
	release := make(chan struct{})
	stuckDone := make(chan struct{})
	t.Cleanup(func() {
		close(release)
		<-stuckDone // the abandoned collector finishes once released
	})
	const budget = 100 * time.Millisecond
	cols := []collector{
		{name: "fine", budget: budget, run: func(context.Context) error { return nil }},
		{name: "broken", budget: budget, run: func(context.Context) error { return errors.New("no permission") }},
		{name: "slow", budget: budget, run: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
		{name: "stuck", budget: budget, run: func(context.Context) error { defer close(stuckDone); <-release; return nil }},
	}
	began := time.Now()
	got := runAll(context.Background(), cols)
	if d := time.Since(began); d > budget+abandonGrace+time.Second {
		t.Fatalf("runAll took %v, want about %v", d, budget+abandonGrace)
	}
	tests := []struct {
		name    string
		ok      bool
		errPart string
	}{
		{name: "fine", ok: true},
		{name: "broken", errPart: "no permission"},
		{name: "slow", errPart: "deadline exceeded"},
		{name: "stuck", errPart: "abandoned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, present := got[tt.name]
			if !present || r.OK != tt.ok || !strings.Contains(r.Error, tt.errPart) {
				t.Fatalf("result %+v (present %v), want ok=%v and an error containing %q", r, present, tt.ok, tt.errPart)
			}
		})
	}
}

// A tool that writes far past the 4 KiB stderr cap through a real pipe
// leaves only the cap in memory.
func TestRunCmdOutputCapped(t *testing.T) {
	_, stderr, _ := runCmdOut(context.Background(), "/bin/sh", "-c", "head -c 100000 /dev/zero >&2; exit 1")
	if len(stderr) != 4<<10 {
		t.Fatalf("kept %d bytes of 100000 of stderr, want the 4 KiB cap", len(stderr))
	}
}
