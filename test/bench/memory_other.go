//go:build !linux

package main

import (
	"context"
	"errors"
)

// runMemory reads /proc/PID/smaps_rollup, and the peers are Debian
// packages: Linux only.
func runMemory(context.Context, string, string, memoryOptions) (*MemoryReport, error) {
	return nil, errors.New("the memory part runs on Linux only; drop it from --parts")
}
