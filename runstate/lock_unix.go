//go:build unix

package runstate

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Lock takes the exclusive lock <dir>/lock without waiting: flock(2)
// LOCK_EX|LOCK_NB on the file opened close-on-exec (no child inherits it,
// so it ends with hsup), then writes hsup's pid into the file. flock locks
// belong to an open file description, so a second Lock conflicts even in
// the same process. When another holds the lock the error is a
// *LockedError naming the pid written in the file.
func (d *Dir) Lock() (*Lock, error) {
	path := filepath.Join(d.Path, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w; check --state-dir", path, err)
	}
	if err := flock(f); err != nil {
		pid := holderPid(f)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, Name: d.Name, Pid: pid}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := writePid(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("write pid into lock %s: %w", path, err)
	}
	return &Lock{f: f, path: path}, nil
}

func flock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// holderPid reads the pid the holder wrote; 0 when there is none yet (the
// holder truncated the file and has not written) or it is not a number.
func holderPid(f *os.File) int {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 32))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

func writePid(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}
