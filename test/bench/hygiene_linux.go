//go:build linux

package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

var hsupHygieneFlags = []string{"--health-interval=1ms", "--health-timeout=1s", "--backoff-min=0", "--backoff-max=1ms"}

// hygieneSample is hsup's resources at one moment.
type hygieneSample struct {
	fds, goroutines, rssKB float64
}

// runHygiene samples hsup's FDs, goroutines and RSS, drives probes probes
// (1 ms interval) and restarts kill -9 restarts, and samples again.
func runHygiene(ctx context.Context, bin, tmp string, probes float64, restarts int) (*Hygiene, error) {
	s, err := launchHsup(bin, tmp, rowHsup, hsupHygieneFlags, true)
	if s != nil {
		defer s.stop()
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.waitChild(ctx, 30*time.Second, 10*time.Millisecond); err != nil {
		return nil, err
	}
	// Settle into steady probing before the baseline.
	c0, err := waitProbeCount(ctx, s.metric, 200, 30*time.Second)
	if err != nil {
		return nil, err
	}
	before, err := sampleHygiene(ctx, s)
	if err != nil {
		return nil, err
	}
	c1, err := waitProbeCount(ctx, s.metric, c0+probes, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	mid, err := sampleHygiene(ctx, s)
	if err != nil {
		return nil, err
	}
	for i := 0; i < restarts; i++ {
		if _, err := s.killChild(); err != nil {
			return nil, err
		}
		if _, err := s.waitChild(ctx, 15*time.Second, 2*time.Millisecond); err != nil {
			return nil, fmt.Errorf("restart %d: %w", i+1, err)
		}
	}
	c2, err := scrape(ctx, s.metric)
	if err == nil {
		_, err = waitProbeCount(ctx, s.metric, c2+200, 30*time.Second)
	}
	if err != nil {
		return nil, err
	}
	after, err := sampleHygiene(ctx, s)
	if err != nil {
		return nil, err
	}
	return &Hygiene{Probes: c1 - c0, Restarts: restarts, Flags: strings.Join(hsupHygieneFlags, " "), Rows: []HygieneRow{
		{What: "open FDs", Before: before.fds, AfterProbes: mid.fds, AfterRestarts: after.fds},
		{What: "goroutines", Before: before.goroutines, AfterProbes: mid.goroutines, AfterRestarts: after.goroutines},
		{What: "VmRSS kB", Before: before.rssKB, AfterProbes: mid.rssKB, AfterRestarts: after.rssKB},
	}}, nil
}

// sampleHygiene takes the minimum FDs and goroutines of 5 samples 100 ms
// apart (a probe in flight holds one of each for a moment) and the last
// RSS.
func sampleHygiene(ctx context.Context, s *supProc) (hygieneSample, error) {
	out := hygieneSample{fds: -1, goroutines: -1}
	pid := s.cmd.Process.Pid
	for i := 0; i < 5; i++ {
		code, body := get(ctx, fresh(5*time.Second), s.metric)
		if code != http.StatusOK {
			return out, fmt.Errorf("scrape %s: status %d", s.metric, code)
		}
		g, err := gaugeValue(string(body), "go_goroutines")
		if err != nil {
			return out, err
		}
		fds, err := openFDs(pid)
		if err != nil {
			return out, err
		}
		rss, err := rssKB(pid)
		if err != nil {
			return out, err
		}
		out.goroutines, out.fds, out.rssKB = minPos(out.goroutines, g), minPos(out.fds, float64(fds)), float64(rss)
		pause(100 * time.Millisecond)
	}
	return out, nil
}

func minPos(cur, v float64) float64 {
	if cur < 0 || v < cur {
		return v
	}
	return cur
}

// waitProbeCount scrapes every 500 ms until hsup's cheap probe count
// reaches target.
func waitProbeCount(ctx context.Context, url string, target float64, timeout time.Duration) (float64, error) {
	deadline := time.Now().Add(timeout)
	for {
		c, err := scrape(ctx, url)
		if err != nil || c >= target {
			return c, err
		}
		if time.Now().After(deadline) {
			return c, fmt.Errorf("only %.0f of %.0f probes within %v; is hsup starved of CPU?", c, target, timeout)
		}
		if err := sleepCtx(ctx, 500*time.Millisecond); err != nil {
			return c, err
		}
	}
}
