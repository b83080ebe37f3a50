package output

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// recheck is how often a rotator looks whether its file is still at its
// path: one that was renamed or removed by someone else (newsyslog, a
// person) is replaced by a new one within that time.
const recheck = time.Second

// ErrNotRegular: the path names something other than a regular file (a
// device such as /dev/null, a directory, a FIFO, a symlink), which a
// rotator must never rename, remove or truncate.
var ErrNotRegular = errors.New("not a regular file")

// rotator is the file behind a File. It appends to path and, past max
// bytes, renames path to path.1 (path.1 to path.2 and so on, the one past
// keep removed) and creates a new path. It only ever opens, renames or
// removes regular files, and never follows a symlink at path: what is at
// path must be a regular file or nothing. It is used from one goroutine
// (a Writer's drain) at a time.
type rotator struct {
	path    string
	max     int64
	keep    int
	f       *os.File
	size    int64
	checked time.Time
}

// Write appends p, rotating first when p would take the file past max. A
// write larger than max goes whole into a file of its own.
func (r *rotator) Write(p []byte) (int, error) {
	if r.f != nil && time.Since(r.checked) >= recheck && !r.inPlace() {
		r.close()
	}
	if r.f == nil {
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	if r.size > 0 && r.size+int64(len(p)) > r.max {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

// open opens path for appending, creating it (mode 0600, and its
// directory, 0755) when absent.
func (r *rotator) open() error {
	if err := os.MkdirAll(filepath.Dir(r.path), 0o755); err != nil {
		return err
	}
	if err := regularOrAbsent(r.path); err != nil {
		return err
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() { // replaced between the check and the open
		err = fmt.Errorf("%s: %w", r.path, ErrNotRegular)
	}
	if err != nil {
		_ = f.Close()
		return err
	}
	r.f, r.size, r.checked = f, fi.Size(), time.Now()
	return nil
}

// inPlace reports whether the open file is still the one at path.
func (r *rotator) inPlace() bool {
	r.checked = time.Now()
	at, err := os.Lstat(r.path)
	if err != nil {
		return false
	}
	open, err := r.f.Stat()
	return err == nil && os.SameFile(at, open)
}

// rotate shifts the kept files up by one and starts a new file at path.
func (r *rotator) rotate() error {
	r.close()
	if err := regularOrAbsent(r.path); err != nil {
		return err
	}
	for i := r.keep; i >= 1; i-- {
		from, to := r.path+"."+strconv.Itoa(i-1), r.path+"."+strconv.Itoa(i)
		if i == 1 {
			from = r.path
		}
		if i == r.keep {
			if err := removeRegular(to); err != nil {
				return err
			}
		}
		if err := regularOrAbsent(from); err != nil {
			return err
		}
		if err := os.Rename(from, to); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return r.open()
}

func (r *rotator) close() {
	if r.f != nil {
		_ = r.f.Close()
		r.f = nil
	}
}

// Close closes the open file, if any.
func (r *rotator) Close() error {
	r.close()
	return nil
}

// regularOrAbsent refuses a path that names anything but a regular file.
func regularOrAbsent(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is %s: %w; give the path of a regular file (or of none, to create)", path, kind(fi.Mode()), ErrNotRegular)
	}
	return nil
}

func removeRegular(path string) error {
	if err := regularOrAbsent(path); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// kind names a file type for an error message.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}
