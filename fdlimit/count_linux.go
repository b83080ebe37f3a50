//go:build linux

package fdlimit

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
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

// countProc counts through stat(2) of /proc/PID/fd where the kernel
// gives the count as its size (Linux 6.2 and later), which costs neither
// a directory read nor its names (a child near its limit has thousands);
// older kernels give 0, and the entries are read.
func countProc(pid int) (int, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/fd", &st); err == nil && st.Size > 0 {
		return int(st.Size), nil
	}
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	return p.FileDescriptorsLen()
}

// SoftLimit returns the soft RLIMIT_NOFILE of process pid as the kernel
// shows it in /proc/PID/limits ("unlimited" is math.MaxUint64).
//
// prlimit(2) answers first, without reading or parsing a file, where hsup
// may: same user, or root.
func SoftLimit(pid int) (uint64, error) {
	var l unix.Rlimit
	if unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &l) == nil && l.Cur > 0 {
		return l.Cur, nil
	}
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
