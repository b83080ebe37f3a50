//go:build !linux

package reaper

import "context"

// Run returns at once: hsup as PID 1 (a container's entrypoint) is a Linux
// concern, and elsewhere launchd or the service manager reaps orphans.
func Run(ctx context.Context) {}
