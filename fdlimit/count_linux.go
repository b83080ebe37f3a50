//go:build linux

package fdlimit

import (
	"fmt"
	"os"
	"strconv"
)

// Count returns the number of open file descriptors of process pid: the
// entries of /proc/PID/fd. Reading them needs the same user as pid or root.
func Count(pid int) (int, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 0, fmt.Errorf("count open files of pid %d (needs the same user or root): %w", pid, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return 0, fmt.Errorf("count open files of pid %d: %w", pid, err)
	}
	return len(names), nil
}

// SoftLimit returns the soft RLIMIT_NOFILE of process pid as the kernel
// shows it in /proc/PID/limits ("unlimited" is math.MaxUint64).
func SoftLimit(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/limits")
	if err != nil {
		return 0, fmt.Errorf("read RLIMIT_NOFILE of pid %d: %w", pid, err)
	}
	n, err := ParseLimits(b)
	if err != nil {
		return 0, fmt.Errorf("read RLIMIT_NOFILE of pid %d: %w", pid, err)
	}
	return n, nil
}
