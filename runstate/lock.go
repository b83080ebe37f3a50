package runstate

import (
	"fmt"
	"os"
)

// lockFile is the name of the lock in a service's directory.
const lockFile = "lock"

// Lock is the held lock of one service; Close releases it.
type Lock struct {
	f    *os.File
	path string
}

// Close releases the lock. The file stays (see the package doc). A second
// Close returns an error wrapping os.ErrClosed.
func (l *Lock) Close() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("release lock %s: %w", l.path, err)
	}
	return nil
}

// LockedError is Lock's error when another process holds the lock.
type LockedError struct {
	Path string // the lock file
	Name string // the service
	Pid  int    // the holder, as it wrote itself into the lock; 0 when unreadable
}

// Error is one line naming the holder and what to do.
func (e *LockedError) Error() string {
	holder := "another hsup"
	if e.Pid > 0 {
		holder = fmt.Sprintf("another hsup (pid %d)", e.Pid)
	}
	return fmt.Sprintf("%s runs service %q: lock %s is held; stop it, or give this one another --name", holder, e.Name, e.Path)
}
