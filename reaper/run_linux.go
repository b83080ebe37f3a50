//go:build linux

package reaper

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Subreaper makes hsup the child subreaper of its descendants
// (PR_SET_CHILD_SUBREAPER): an orphan among them (a daemonized helper, a
// setsid'd worker whose parent exited) is re-parented to hsup rather than
// to init, so hsup still sees it, stops it with the child, and Run reaps it.
func Subreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become child subreaper: %w", err)
	}
	return nil
}

// reaping reports whether orphans are re-parented to hsup: as PID 1, or as
// a child subreaper.
func reaping() bool {
	if os.Getpid() == 1 {
		return true
	}
	var flag int32
	err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&flag)), 0, 0, 0)
	return err == nil && flag != 0
}

// Run reaps, while orphans are re-parented to hsup (PID 1, or a child
// subreaper), every child that no Wait owns: they would otherwise stay
// zombies. It reaps once at the start, then on every SIGCHLD and after
// every Release, and returns when ctx is done. Otherwise it returns at
// once.
func Run(ctx context.Context) {
	if !reaping() {
		return
	}
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGCHLD)
	defer signal.Stop(ch)
	for {
		reapOnce()
		select {
		case <-ctx.Done():
			return
		case <-ch:
		case <-released:
		}
	}
}

// reapOnce reaps every unregistered child that has exited. It holds the
// owner's lock, so no Start can fork in between listing and reaping. It
// returns the pids it reaped.
func reapOnce() []int {
	owner.Lock()
	defer owner.Unlock()
	var reaped []int
	for _, pid := range childPids() {
		if !mayReap(pid, owner.owned) {
			continue
		}
		var ws syscall.WaitStatus
		if got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); err == nil && got == pid {
			reaped = append(reaped, pid)
		}
	}
	return reaped
}

// childPids lists hsup's children, zombies included. The kernel files a
// child under the thread that forked it, so every thread's list is read.
func childPids() []int {
	files, _ := filepath.Glob("/proc/self/task/*/children")
	var pids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited meanwhile
		}
		for _, w := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(w); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// awaitExit is Exited: reaper.Wait waits on a pidfd.
func awaitExit(pid int) error { return Exited(pid) }
