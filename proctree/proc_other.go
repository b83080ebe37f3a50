//go:build !linux && !darwin

package proctree

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// errUnsupported says which system lacks the process table.
var errUnsupported = fmt.Errorf("process table on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Snapshot is unsupported here: hsup knows Linux's /proc and macOS's sysctl.
func Snapshot() (Table, error) { return nil, errUnsupported }

// Identify finds nothing here; see Snapshot.
func Identify(pid int) (Proc, bool) { return Proc{}, false }

// Listeners is unsupported here; see Snapshot.
func Listeners(ctx context.Context, port int) (pids []int, unseen bool, err error) {
	return nil, false, errUnsupported
}
