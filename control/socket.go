package control

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// SocketName is the control socket's file in the service's directory.
const SocketName = "control.sock"

// maxSocketPath is the longest path a unix socket can be bound at
// (sun_path less its terminating NUL: 108 on Linux, 104 on macOS).
func maxSocketPath() int {
	if runtime.GOOS == "linux" {
		return 107
	}
	return 103
}

// socket is the bound listener and the file it is reachable at.
type socket struct {
	path string
	ln   *net.UnixListener
	fi   fs.FileInfo // the socket file, to remove only our own
	once sync.Once
}

// listen binds a socket in a fresh directory of mode 0700 beside path,
// makes it 0600, and renames it to path (replacing a stale socket there,
// stale true): no other user can connect between the bind and the chmod.
func listen(path string) (s *socket, stale bool, err error) {
	if stale, err = checkStale(path); err != nil {
		return nil, false, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".ctl")
	if err != nil {
		return nil, false, fmt.Errorf("control socket: %w", err)
	}
	defer os.Remove(dir)
	tmp := filepath.Join(dir, "s")
	if len(tmp) > maxSocketPath() {
		return nil, false, fmt.Errorf("control socket: binding %s needs the %d-byte path %s, longer than a unix socket allows (%d); "+
			"use a shorter --state-dir", path, len(tmp), tmp, maxSocketPath())
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, false, fmt.Errorf("control socket: %w", err)
	}
	ln.SetUnlinkOnClose(false) // it is removed by path, once renamed
	s = &socket{path: path, ln: ln}
	err = os.Chmod(tmp, 0o600)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		s.fi, err = os.Lstat(path)
	}
	if err != nil {
		_ = ln.Close()
		_ = os.Remove(tmp)
		return nil, false, fmt.Errorf("control socket: %w", err)
	}
	return s, stale, nil
}

// checkStale refuses a path that holds something other than a socket; a
// socket there is stale (stale true) and will be replaced.
func checkStale(path string) (stale bool, err error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("control socket: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return false, fmt.Errorf("control socket: %s exists and is not a socket (%s); remove it", path, fi.Mode().Type())
	}
	return true, nil
}

// remove closes the listener and removes the socket file, if it is still
// the one listen bound.
func (s *socket) remove() {
	s.once.Do(func() {
		_ = s.ln.Close()
		if fi, err := os.Lstat(s.path); err == nil && s.fi != nil && os.SameFile(fi, s.fi) {
			_ = os.Remove(s.path)
		}
	})
}
