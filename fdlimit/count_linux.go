//go:build linux

package fdlimit

import (
	"errors"
	"fmt"

	"github.com/prometheus/procfs"
)

// Count returns the number of open file descriptors of process pid: the
// entries of /proc/PID/fd. Reading them needs the same user as pid or root.
func Count(pid int) (int, error) {
	n, err := countProc(pid)
	if err != nil {
		return 0, fmt.Errorf("count open files of pid %d (needs the same user or root): %w", pid, err)
	}
	return n, nil
}

func countProc(pid int) (int, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	return p.FileDescriptorsLen()
}

// SoftLimit returns the soft RLIMIT_NOFILE of process pid as the kernel
// shows it in /proc/PID/limits ("unlimited" is math.MaxUint64).
func SoftLimit(pid int) (uint64, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0, fmt.Errorf("read RLIMIT_NOFILE of pid %d: %w", pid, err)
	}
	return softLimit(fs, pid)
}

// errNoOpenFiles: a limits text without a "Max open files" line, which
// procfs reads as a soft limit of 0, as it reads a real limit of 0; neither
// is a limit a watcher can use.
var errNoOpenFiles = errors.New(`no "Max open files" line in the limits text, or a soft limit of 0`)

// softLimit is SoftLimit on the proc file system fs.
func softLimit(fs procfs.FS, pid int) (uint64, error) {
	p, err := fs.Proc(pid)
	if err != nil {
		return 0, fmt.Errorf("read RLIMIT_NOFILE of pid %d: %w", pid, err)
	}
	l, err := p.Limits()
	if err == nil && l.OpenFiles == 0 {
		err = errNoOpenFiles
	}
	if err != nil {
		return 0, fmt.Errorf("read RLIMIT_NOFILE of pid %d: %w", pid, err)
	}
	return l.OpenFiles, nil
}
