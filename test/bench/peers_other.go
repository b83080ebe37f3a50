//go:build !linux

package main

import (
	"context"
	"errors"
	"time"
)

// The peer parts read /proc (child pids by argv, smaps_rollup, FD counts)
// and the peers are Debian packages, so they run on Linux only.
var errPeersLinux = errors.New("the restart, wedge, idle and hygiene parts run on Linux only; drop them from --parts")

func runRestart(context.Context, string, string, int) ([]TimingRow, error) { return nil, errPeersLinux }

func runWedge(context.Context, string, string, int) ([]TimingRow, []float64, error) {
	return nil, nil, errPeersLinux
}

func runIdle(context.Context, string, string, time.Duration) ([]IdleRow, error) {
	return nil, errPeersLinux
}

func runHygiene(context.Context, string, string, float64, int) (*Hygiene, error) {
	return nil, errPeersLinux
}
