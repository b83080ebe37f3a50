//go:build !linux && !darwin

package fdlimit

import (
	"errors"
	"fmt"
)

// Count is unsupported outside Linux and macOS.
func Count(pid int) (int, error) {
	return 0, fmt.Errorf("count open files of pid %d: %w", pid, errors.ErrUnsupported)
}

// SoftLimit is unsupported outside Linux.
func SoftLimit(pid int) (uint64, error) {
	return 0, fmt.Errorf("read RLIMIT_NOFILE of pid %d: %w", pid, errors.ErrUnsupported)
}
