//go:build !linux

package reaper

import (
	"context"
	"errors"
)

// Run returns at once: hsup as PID 1 (a container's entrypoint) is a Linux
// concern, and elsewhere launchd or the service manager reaps orphans.
func Run(ctx context.Context) {}

// Subreaper is Linux-only (PR_SET_CHILD_SUBREAPER); elsewhere descendants
// are found by walking parent pids at stop time.
func Subreaper() error { return errors.ErrUnsupported }

// awaitExit returns at once: elsewhere cmd.Wait waits.
func awaitExit(int) error { return nil }
