package soak

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// Crash loop bounds. A leak of one descriptor or goroutine per restart
// would show as hundreds; the allowance covers what a child in flight
// holds (its pipes, the copy and wait goroutines) at the moment of a sample.
const (
	crashRestarts       = 300
	crashWait           = 60 * time.Second
	crashFDAllowance    = 4
	crashGoroutineAllow = 6
)

func TestCrashLoopLeaksNothing(t *testing.T) {
	metricsPort := hsuptest.FreePort(t)
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)
	p := hsuptest.Start(t, []string{"run", "--backoff-min=0", "--backoff-max=10ms", "--health-url=",
		fmt.Sprintf("--metrics-addr=127.0.0.1:%d", metricsPort), "--log-format=json",
		"--diag-dir=" + t.TempDir(), "--", os.Args[0], "1"}, reexec.Env(t, "exit"), noExitSleep)
	pid := p.Cmd.Process.Pid

	// Warm up: the metrics server, the runtime and the first restarts
	// allocate what they keep for good.
	restartsAtLeast(t, p, 10)
	hsuptest.Scrape(t, metricsURL)
	fds0, gs0 := quietest(t, pid, metricsURL)
	start := time.Now()

	restartsAtLeast(t, p, crashRestarts)
	took := time.Since(start)
	fds1, gs1 := quietest(t, pid, metricsURL)
	samples, _ := hsuptest.Scrape(t, metricsURL)
	if got := samples[`hsup_child_restarts_total{reason="exit"}`]; got < crashRestarts {
		t.Errorf(`hsup_child_restarts_total{reason="exit"} = %v, want at least %d`, got, crashRestarts)
	}
	t.Logf("%d restarts in %v; fds %d -> %d, goroutines %d -> %d", crashRestarts-10, took, fds0, fds1, gs0, gs1)
	if fds1 > fds0+crashFDAllowance {
		t.Errorf("hsup's open descriptors grew from %d to %d over %d restarts", fds0, fds1, crashRestarts-10)
	}
	if gs1 > gs0+crashGoroutineAllow {
		t.Errorf("hsup's goroutines grew from %d to %d over %d restarts", gs0, gs1, crashRestarts-10)
	}

	p.Signal(t, syscall.SIGTERM)
	// SIGTERM lands in backoff (the last child's 1) or on a child not yet
	// exited, which dies of it: a clean stop, 0.
	if code := p.Wait(t, 10*time.Second); code != 1 && code != 0 {
		t.Errorf("hsup exited %d, want the last child's status 1, or 0 for a clean stop", code)
	}
}

// restartsAtLeast waits for the "child backoff" line that counts n restarts.
func restartsAtLeast(t *testing.T, p *hsuptest.Proc, n int) {
	t.Helper()
	p.WaitLine(t, 0, crashWait, fmt.Sprintf("%d restarts", n), func(l hsuptest.Line) bool {
		return l.Msg() == "child backoff" && l.Int("restarts") >= n
	})
}

// quietest samples hsup's descriptors and goroutines ten times, 20 ms
// apart, and keeps the lowest of each: the moments between two children.
func quietest(t *testing.T, pid int, metricsURL string) (fds, goroutines int) {
	t.Helper()
	fds, goroutines = 1<<30, 1<<30
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range 10 {
		fds = min(fds, fdCount(t, pid))
		samples, _ := hsuptest.Scrape(t, metricsURL)
		g, ok := samples["go_goroutines"]
		if !ok {
			t.Fatal("no go_goroutines on hsup's /metrics")
		}
		goroutines = min(goroutines, int(g))
		<-tick.C
	}
	return fds, goroutines
}
