//go:build unix

package main

import (
	"context"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/hsup/hsup/doctor"
	"github.com/hsup/hsup/reaper"
)

// inheritedNofileTimeout bounds the shell that reads the inherited limit.
const inheritedNofileTimeout = 2 * time.Second

// inheritedNofile is the RLIMIT_NOFILE a child inherits with --nofile=0:
// hsup's start-up limits (256 soft under launchd). Go's runtime raised
// hsup's own soft limit at start-up and restores the start-up one only in
// the children it starts, so the soft limit is read from a shell hsup
// starts; the hard limit the runtime never changes.
func inheritedNofile() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, fmt.Errorf("read RLIMIT_NOFILE: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), inheritedNofileTimeout)
	defer cancel()
	out, err := reaper.Output(exec.CommandContext(ctx, "/bin/sh", "-c", "ulimit -n"))
	if err != nil {
		return 0, lim.Max, fmt.Errorf("read the inherited soft limit with /bin/sh -c 'ulimit -n': %w", err)
	}
	if soft, err = doctor.ParseLimit(string(out)); err != nil {
		return 0, lim.Max, fmt.Errorf("read the inherited soft limit: %w", err)
	}
	return soft, lim.Max, nil
}
