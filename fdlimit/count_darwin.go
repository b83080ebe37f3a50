//go:build darwin

package fdlimit

import (
	"errors"
	"fmt"
)

// Count returns the number of open file descriptors of process pid, from
// `lsof -nP -p PID -F f` (numeric descriptors only), bounded to 5 s.
// golang.org/x/sys offers no proc_pidinfo, which would avoid the exec.
func Count(pid int) (int, error) { return countLsof(pid) }

// SoftLimit is unsupported on macOS: no interface shows another process's
// RLIMIT_NOFILE. Callers fall back to the limit they configured.
func SoftLimit(pid int) (uint64, error) {
	return 0, fmt.Errorf("read RLIMIT_NOFILE of pid %d on macOS: %w", pid, errors.ErrUnsupported)
}
