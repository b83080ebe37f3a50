package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

const cpuInterval = 10 * time.Millisecond

// CPUResult is hsup's own cost of probing: its utime+stime over a number
// of cheap probes (deep probe off), and its RSS at the end.
type CPUResult struct {
	Probes       float64 `json:"probes"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	Per1000      float64 `json:"cpu_seconds_per_1000_probes"`
	ProbesPerSec float64 `json:"probes_per_second"`
	RSSKB        int64   `json:"rss_kb"`
}

func runCPU(ctx context.Context, bin, tmp string, probes int) (CPUResult, error) {
	port, err := freePort()
	if err != nil {
		return CPUResult{}, err
	}
	mport, err := freePort()
	if err != nil {
		return CPUResult{}, err
	}
	metrics := "http://127.0.0.1:" + strconv.Itoa(mport) + "/metrics"
	p, err := startHsup(bin, []string{"demo", "--port=" + strconv.Itoa(port), "--log-format=json",
		"--health-interval=" + cpuInterval.String(), "--health-timeout=1s", "--deep-url=",
		"--metrics-addr=127.0.0.1:" + strconv.Itoa(mport), "--diag-dir=" + tmp}, nil)
	if err != nil {
		return CPUResult{}, err
	}
	defer p.stop()
	if _, _, err := p.waitLine(ctx, 0, 30*time.Second, "child running", state("running", 0)); err != nil {
		return CPUResult{}, err
	}
	pid := p.cmd.Process.Pid
	c0, err := scrape(ctx, metrics)
	if err != nil {
		return CPUResult{}, err
	}
	cpu0, err := cpuTime(pid)
	if err != nil {
		return CPUResult{}, err
	}
	w0 := time.Now()
	c1, err := waitProbes(ctx, metrics, c0+float64(probes))
	if err != nil {
		return CPUResult{}, err
	}
	cpu1, err := cpuTime(pid)
	if err != nil {
		return CPUResult{}, err
	}
	wall := time.Since(w0)
	rss, err := rssKB(pid)
	n := c1 - c0
	used := (cpu1 - cpu0).Seconds()
	return CPUResult{Probes: n, CPUSeconds: used, Per1000: used / n * 1000,
		ProbesPerSec: n / wall.Seconds(), RSSKB: rss}, err
}

// waitProbes scrapes as rarely as it can (each scrape costs hsup CPU too)
// until the cheap probe count reaches target.
func waitProbes(ctx context.Context, url string, target float64) (float64, error) {
	c, err := scrape(ctx, url)
	deadline := time.Now().Add(time.Duration(target-c)*cpuInterval*5 + 30*time.Second)
	for err == nil && c < target {
		if time.Now().After(deadline) {
			return c, fmt.Errorf("only %.0f of %.0f probes by the deadline; is hsup starved of CPU?", c, target)
		}
		wait := max(100*time.Millisecond, time.Duration(target-c)*cpuInterval)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return c, ctx.Err()
		}
		c, err = scrape(ctx, url)
	}
	return c, err
}

func scrape(ctx context.Context, url string) (float64, error) {
	code, body := get(ctx, fresh(5*time.Second), url)
	if code != http.StatusOK {
		return 0, fmt.Errorf("scrape %s: status %d", url, code)
	}
	return probeCount(string(body), "cheap")
}
