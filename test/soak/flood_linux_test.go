package soak

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hsup/hsup/output"
	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// Flood bounds: the child writes for floodFor; hsup must never hold one
// of its write() calls longer than floodMaxBlock, and its RSS must stay
// under floodMaxRSS and not grow by more than floodMaxGrowth after the
// first seconds, however much was written.
const (
	floodFor = 10 * time.Second
	// floodMaxBlock: output.Writer's promise is that a paced write waits
	// for room at most output.DefaultStall (250 ms) past a destination
	// write that does not return, plus what a loaded 2-core machine takes
	// to schedule the drain (a 100 ms bound flaked at 103 ms in CI).
	floodMaxBlock  = output.DefaultStall + 250*time.Millisecond
	floodMaxRSS    = 64 << 10 // KiB
	floodMaxGrowth = 16 << 10 // KiB
)

func TestOutputFloodNeverBlocksChild(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report")
	p, drained := hsuptest.StartDrained(t, []string{"run", "--health-url=", "--metrics-addr=", "--restart=never",
		// console: the child's bytes pass through as they are (in JSON mode
		// they are wrapped as records, which this test would not count)
		"--log-format=console", "--diag-dir=" + t.TempDir(), "--", os.Args[0], report, floodFor.String()}, reexec.Env(t, "flood"))
	rss := sampleRSS(p.Cmd.Process.Pid, 100*time.Millisecond)
	code := p.Wait(t, floodFor+30*time.Second)
	samples := rss()
	if code != 0 {
		t.Fatalf("hsup exited %d, want the flood child's 0", code)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("the flood child left no report: %v", err)
	}
	var blockNs, total, writes int64
	if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &blockNs, &total, &writes); err != nil {
		t.Fatalf("report %q: %v", b, err)
	}
	forwarded := drained.Stdout.Load() + drained.Stderr.Load()
	t.Logf("child wrote %d MiB in %d writes, longest write %v; hsup forwarded %d MiB; RSS samples (KiB) first %v, max %d",
		total>>20, writes, time.Duration(blockNs), forwarded>>20, samples[:min(5, len(samples))], maxOf(samples))
	if time.Duration(blockNs) > floodMaxBlock {
		t.Errorf("the child's longest write() took %v, want at most %v", time.Duration(blockNs), floodMaxBlock)
	}
	if forwarded < total {
		t.Errorf("hsup forwarded %d bytes of the child's %d", forwarded, total)
	}
	checkRSS(t, samples)
}

// checkRSS: below the cap throughout, and the late samples no higher than
// the early ones plus the allowed growth.
func checkRSS(t *testing.T, samples []int) {
	t.Helper()
	if len(samples) < 20 {
		t.Fatalf("only %d RSS samples over %v", len(samples), floodFor)
	}
	if m := maxOf(samples); m > floodMaxRSS {
		t.Errorf("hsup's RSS reached %d KiB, want under %d KiB", m, floodMaxRSS)
	}
	early, late := maxOf(samples[:len(samples)/4]), maxOf(samples[len(samples)/2:])
	if late > early+floodMaxGrowth {
		t.Errorf("hsup's RSS grew with output: %d KiB in the first quarter, %d KiB in the second half", early, late)
	}
}

// sampleRSS reads pid's VmRSS every interval until the returned function
// is called, which stops the sampler, waits for it and returns the samples.
func sampleRSS(pid int, interval time.Duration) func() []int {
	var (
		mu      sync.Mutex
		samples []int
		wg      sync.WaitGroup
	)
	stop := make(chan struct{})
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			if kib := rssKiB(pid); kib > 0 {
				mu.Lock()
				samples = append(samples, kib)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	return func() []int {
		close(stop)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return samples
	}
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
