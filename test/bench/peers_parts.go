package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// peerOptions are the flags of the parts that run hsup beside its peers.
type peerOptions struct {
	restartRuns, wedgeRuns int
	idle                   time.Duration
	hygieneProbes          int
	hygieneRestarts        int
}

// runPeerParts fills rep.Peers with the selected parts; what was measured
// before an error is kept, and the targets are checked either way.
func runPeerParts(ctx context.Context, rep *report, parts string, o peerOptions, bin, tmp string) error {
	p := &PeersReport{}
	defer func() {
		p.Targets = p.targets()
		if len(p.Restart)+len(p.Wedge)+len(p.Idle) > 0 || p.Hygiene != nil {
			rep.Peers = p
		}
	}()
	var err error
	if strings.Contains(parts, "restart") {
		p.RestartRuns = o.restartRuns
		if p.Restart, err = runRestart(ctx, bin, tmp, o.restartRuns); err != nil {
			return fmt.Errorf("restart latency: %w", err)
		}
	}
	if strings.Contains(parts, "wedge") {
		p.WedgeRuns = o.wedgeRuns
		p.Wedge, p.FloorMS, err = runWedge(ctx, bin, tmp, o.wedgeRuns)
		p.Floor = median(p.FloorMS)
		if err != nil {
			return fmt.Errorf("wedge recovery: %w", err)
		}
	}
	if strings.Contains(parts, "idle") {
		p.IdleSeconds = o.idle.Seconds()
		if p.Idle, err = runIdle(ctx, bin, tmp, o.idle); err != nil {
			return fmt.Errorf("idle overhead: %w", err)
		}
	}
	if strings.Contains(parts, "hygiene") {
		if p.Hygiene, err = runHygiene(ctx, bin, tmp, float64(o.hygieneProbes), o.hygieneRestarts); err != nil {
			return fmt.Errorf("hygiene: %w", err)
		}
	}
	return nil
}
