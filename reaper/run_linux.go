//go:build linux

package reaper

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Run reaps, while hsup is PID 1, every child that no Wait owns: orphans
// re-parented to hsup would otherwise stay zombies. It reaps once at the
// start, then on every SIGCHLD and after every Release, and returns when
// ctx is done. When hsup is not PID 1 it returns at once.
func Run(ctx context.Context) {
	if os.Getpid() != 1 {
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
