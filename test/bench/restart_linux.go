//go:build linux

package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// minUptime keeps every peer out of its crash-loop throttle: runsv,
// supervise and s6-supervise wait 1 s before restarting a child that died
// less than 1 s after it started.
const minUptime = 1200 * time.Millisecond

var (
	// --backoff-reset=0s: twenty kills less than --backoff-reset apart are
	// a crash loop (--crash-loop, 10) otherwise.
	hsupRestartFast = []string{"--backoff-min=0", "--backoff-reset=0s"}
	// Every restart is the first; the child ran minUptime, longer than the
	// 1 s backoff that separates starts, so none waits.
	hsupRestartDefaults = []string{"--backoff-reset=0s"}
	// The foundation issue's figure: a first restart under --backoff-min=100ms.
	hsupRestart100ms = []string{"--backoff-min=100ms", "--backoff-reset=0s"}
)

// runRestart starts hsup (three ways) and every restart peer over the same
// child, then kills each one's child in turn, runs times round-robin, and
// times kill -9 -> a new child answers /health.
func runRestart(ctx context.Context, bin, tmp string, runs int) ([]TimingRow, error) {
	l := &lineup{}
	defer func() { stopAll(l.all) }()
	s, err := launchHsup(bin, tmp, rowHsup, hsupRestartFast, false)
	if err := l.add(TimingRow{Name: rowHsup, Flags: strings.Join(hsupRestartFast, " ")}, s, err); err != nil {
		return nil, err
	}
	for _, h := range []struct {
		name  string
		flags []string
	}{{"hsup (defaults)", hsupRestartDefaults}, {"hsup (100ms)", hsupRestart100ms}} {
		s, err := launchHsup(bin, tmp, h.name, h.flags, false)
		if err := l.add(TimingRow{Name: h.name, Flags: strings.Join(h.flags, " ")}, s, err); err != nil {
			return nil, err
		}
	}
	for _, p := range restartPeers {
		s, err := launchPeer(p, bin, tmp)
		if err := l.add(TimingRow{Name: p.name, Flags: peerFlags[p]}, s, err); err != nil {
			return nil, err
		}
	}
	if err := l.bringUp(ctx); err != nil {
		return nil, err
	}
	for run := 0; run < runs; run++ {
		for i, s := range l.sups {
			if s == nil {
				continue
			}
			d, err := restartOnce(ctx, s)
			if err != nil {
				return l.rows, fmt.Errorf("run %d: %w", run+1, err)
			}
			l.rows[i].MS = append(l.rows[i].MS, ms(d))
		}
	}
	for i := range l.rows {
		l.rows[i].Median = median(l.rows[i].MS)
	}
	setRatios(l.rows, rowHsup)
	return l.rows, nil
}

// restartOnce waits until s's child has been up minUptime, kills it and
// polls (every 2 ms, fresh connection) until its successor answers.
func restartOnce(ctx context.Context, s *supProc) (time.Duration, error) {
	if err := s.alive(); err != nil {
		return 0, err
	}
	if wait := minUptime - time.Since(s.seen); wait > 0 {
		pause(wait)
	}
	t0, err := s.killChild()
	if err != nil {
		return 0, err
	}
	t1, err := s.waitChild(ctx, 15*time.Second, 2*time.Millisecond)
	return t1.Sub(t0), err
}

// peerFlags is the settings column of each peer.
var peerFlags = map[peer]string{
	peerRunit:       "runsv DIR (run: exec demo-app)",
	peerDaemontools: "supervise DIR (run: exec demo-app)",
	peerS6:          "s6-supervise DIR (run: exec demo-app)",
	peerSupervisord: "supervisord -n; autorestart=true startsecs=0",
	peerMonit:       "monit -I; set daemon 1; http /health timeout 1s for 2 cycles",
}
