//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// wedgePolicy is a probe policy and the hsup flags that set it.
type wedgePolicy struct {
	name              string
	interval, timeout time.Duration
	failures          int
	flags             []string
}

var (
	// The hsup rows use --backoff-reset=0s so each wedge is a first
	// restart, not the escalation of wedges seconds apart. The backoff
	// separates starts, and the child ran longer than the 1 s minimum
	// before the wedge, so the restart does not wait: what is left over
	// the budget is hsup's own detection, capture, stop and start.
	wedgeTight = wedgePolicy{name: rowHsupTight, interval: time.Second, timeout: time.Second, failures: 2,
		flags: []string{"--health-interval=1s", "--health-timeout=1s", "--health-failures=2", "--backoff-reset=0s"}}
	wedgeDefaults = wedgePolicy{name: "hsup (defaults)", interval: 5 * time.Second, timeout: 2 * time.Second, failures: 3,
		flags: []string{"--backoff-reset=0s"}}
	wedgeMonit = wedgePolicy{name: peerMonit.name, interval: time.Second, timeout: time.Second, failures: 2}
)

// runWedge measures the child's boot floor, then wedges hsup's (two
// policies) and monit's child round-robin and times recovery.
func runWedge(ctx context.Context, bin, tmp string, runs int) (rows []TimingRow, floor []float64, err error) {
	if floor, err = bootFloor(ctx, bin, tmp, 10); err != nil {
		return nil, nil, err
	}
	l := &lineup{}
	defer func() { stopAll(l.all) }()
	for _, w := range wedgeHsups() { // wedge_stall_linux.go
		s, err := launchHsup(bin, tmp, w.name, w.flags, false)
		if err := l.add(w.row(strings.Join(w.flags, " ")), s, err); err != nil {
			return nil, floor, err
		}
	}
	s, err := launchPeer(peerMonit, bin, tmp)
	if err := l.add(wedgeMonit.row(peerFlags[peerMonit]), s, err); err != nil {
		return nil, floor, err
	}
	if err := l.bringUp(ctx); err != nil {
		return nil, floor, err
	}
	for run := 0; run < runs; run++ {
		for i, s := range l.sups {
			if s == nil {
				continue
			}
			d, err := wedgeOnce(ctx, s, time.Duration(l.rows[i].BudgetMS)*time.Millisecond)
			if err != nil {
				return l.rows, floor, fmt.Errorf("run %d: %w", run+1, err)
			}
			l.rows[i].MS = append(l.rows[i].MS, ms(d))
		}
	}
	boot := median(floor)
	for i := range l.rows {
		l.rows[i].Median = median(l.rows[i].MS)
		l.rows[i].Overhead = l.rows[i].Median - l.rows[i].BudgetMS - boot
	}
	setRatios(l.rows, rowHsupTight)
	return l.rows, floor, nil
}

func (w wedgePolicy) row(flags string) TimingRow {
	return TimingRow{Name: w.name, Flags: flags, BudgetMS: ms(wedgeBudget(w.failures, w.interval, w.timeout))}
}

// wedgeOnce flips noaccept on s's child and polls every 10 ms until a new
// child answers /health.
func wedgeOnce(ctx context.Context, s *supProc, budget time.Duration) (time.Duration, error) {
	if err := s.alive(); err != nil {
		return 0, err
	}
	if err := s.settled(ctx, 30*time.Second); err != nil {
		return 0, err
	}
	t0, err := post(ctx, strings.TrimSuffix(s.url, "/health")+"/demo/noaccept")
	if err != nil {
		return 0, fmt.Errorf("%s: %w", s.name, err)
	}
	t1, err := s.waitChild(ctx, budget+30*time.Second, 10*time.Millisecond)
	return t1.Sub(t0), err
}

// bootFloor starts demo-app directly n times and times exec -> the first
// /health 200: what any supervisor pays after it decides to restart.
func bootFloor(ctx context.Context, bin, tmp string, n int) ([]float64, error) {
	var out []float64
	for i := 0; i < n; i++ {
		s, port, err := newSup(tmp, "demo-app alone")
		if err != nil {
			return out, err
		}
		argv := childArgv(bin, s.dir, port)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = nil, nil
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			return out, fmt.Errorf("start demo-app: %w", err)
		}
		t1, err := s.waitChild(ctx, 15*time.Second, 2*time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if werr := waitCmd(cmd, 5*time.Second); werr != nil && err == nil {
			err = werr
		}
		if err != nil {
			return out, err
		}
		out = append(out, ms(t1.Sub(t0)))
		_ = os.RemoveAll(filepath.Join(s.dir, "state"))
	}
	return out, nil
}

// waitCmd waits for cmd, killing it after d.
func waitCmd(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }() // always ends: cmd is killed below if need be
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("demo-app (pid %d) ignored SIGTERM for %v", cmd.Process.Pid, d)
	}
}
