//go:build !linux

package main

import (
	"context"
	"errors"
	"time"
)

// The stall, load and quiet parts read /proc (the child's parent before
// SIGSTOP, CPU times, the lifeline helper) and sample the accept queue
// through acceptq's Linux reader: Linux only.
var errStallLinux = errors.New("the stall, load and quiet parts run on Linux only; drop them from --parts")

func runStallDetect(context.Context, string, string, stallOptions) ([]StallRow, error) {
	return nil, errStallLinux
}

func runLoad(context.Context, string, string, loadOptions) ([]LoadRow, error) {
	return nil, errStallLinux
}

func runQuiet(context.Context, string, string, time.Duration, bool) (*QuietReport, error) {
	return nil, errStallLinux
}
