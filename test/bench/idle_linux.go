//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

var hsupIdleFlags = []string{"--health-interval=1s"}

// runIdle runs hsup (probing every 1 s, metrics on) and every peer side by
// side over the same child for d, and reads each supervisor process's CPU
// time and memory. monit probes every 1 s too; the others only wait.
func runIdle(ctx context.Context, bin, tmp string, d time.Duration) ([]IdleRow, error) {
	l := &lineup{}
	defer func() { stopAll(l.all) }()
	s, err := launchHsup(bin, tmp, rowHsup, hsupIdleFlags, true)
	if err := l.add(TimingRow{Name: rowHsup}, s, err); err != nil {
		return nil, err
	}
	for _, p := range append(append([]peer(nil), restartPeers...), peerMonit) {
		s, err := launchPeer(p, bin, tmp)
		if err := l.add(TimingRow{Name: p.name}, s, err); err != nil {
			return nil, err
		}
	}
	if err := l.bringUp(ctx); err != nil {
		return nil, err
	}
	cpu0 := make([]time.Duration, len(l.sups))
	for i, s := range l.sups {
		if s != nil {
			if cpu0[i], err = cpuTime(s.cmd.Process.Pid); err != nil {
				return nil, fmt.Errorf("%s: %w", s.name, err)
			}
		}
	}
	t0 := time.Now()
	if err := sleepCtx(ctx, d); err != nil {
		return nil, err
	}
	wall := time.Since(t0)
	rows := make([]IdleRow, len(l.sups))
	for i, s := range l.sups {
		if rows[i], err = idleRow(l.rows[i], s, cpu0[i], wall); err != nil {
			return rows, err
		}
	}
	return rows, nil
}

func idleRow(r TimingRow, s *supProc, cpu0, wall time.Duration) (IdleRow, error) {
	row := IdleRow{Name: r.Name, Skipped: r.Skipped}
	if s == nil {
		return row, nil
	}
	if err := s.alive(); err != nil {
		return row, err
	}
	pid := s.cmd.Process.Pid
	cpu1, err := cpuTime(pid)
	if err != nil {
		return row, err
	}
	if row.RSSKB, err = rssKB(pid); err != nil {
		return row, err
	}
	rollup, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return row, fmt.Errorf("read %s's smaps_rollup: %w", s.name, err)
	}
	if row.PssKB, err = pssKB(string(rollup)); err != nil {
		return row, err
	}
	comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	row.Process = strings.TrimSpace(string(comm))
	row.CPU = (cpu1 - cpu0).Seconds()
	row.CPUPerMin = row.CPU / wall.Minutes()
	return row, nil
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
