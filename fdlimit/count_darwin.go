//go:build darwin

package fdlimit

import (
	"errors"
	"fmt"

	"github.com/shirou/gopsutil/v4/process"
)

// Count returns the number of open file descriptors of process pid, from
// proc_pidinfo(PROC_PIDLISTFDS): two calls into libproc (the size, then
// the list), made by gopsutil through purego (no cgo, no exec), where lsof
// costs a fork and tens to hundreds of milliseconds of CPU per count. Should that call fail, it
// counts with lsof as before: `lsof -nP -p PID -F f`, bounded to 5 s. lsof
// reads the same kernel table, so the fallback only helps when the
// library cannot be loaded or called at all; for a process hsup may not
// read (another user's) or one that has exited, both fail.
func Count(pid int) (int, error) { return countEither(pid, countPidinfo, countLsof) }

// countPidinfo is gopsutil's NumFDs on a Process built from the pid alone:
// NewProcess would first check the pid exists and read its start time, two
// more system calls the count does not need (proc_pidinfo fails on its own
// for a pid that is gone).
func countPidinfo(pid int) (int, error) {
	n, err := (&process.Process{Pid: int32(pid)}).NumFDs()
	if err != nil {
		return 0, fmt.Errorf("count open files of pid %d with proc_pidinfo: %w", pid, err)
	}
	return int(n), nil
}

// SoftLimit is unsupported on macOS: no interface shows another process's
// RLIMIT_NOFILE. Callers fall back to the limit they configured.
func SoftLimit(pid int) (uint64, error) {
	return 0, fmt.Errorf("read RLIMIT_NOFILE of pid %d on macOS: %w", pid, errors.ErrUnsupported)
}
