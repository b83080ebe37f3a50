//go:build linux

package supervise

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// reapZombies runs while hsup is PID 1 (a container's entrypoint): orphans
// re-parented to it would otherwise stay zombies forever. It returns when
// ctx is done.
func reapZombies(ctx context.Context) {
	if os.Getpid() != 1 {
		return
	}
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGCHLD)
	defer signal.Stop(ch)
	own := syscall.Getpgrp()
	for {
		reapOnce(own)
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

func reapOnce(ownPgrp int) {
	reaper.Lock()
	defer reaper.Unlock()
	for _, pid := range childPids() {
		pgrp, ok := procPgrp(pid)
		if !ok || !mayReap(pid, pgrp, ownPgrp, reaper.owned) {
			continue
		}
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	}
}

// childPids lists hsup's children, zombies included. The kernel files a
// child under the thread that forked it, so every thread's list is read.
func childPids() []int {
	files, _ := filepath.Glob("/proc/self/task/*/children")
	var pids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, w := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(w); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// procPgrp reads the process group from /proc/PID/stat (field 5; the
// command name in field 2 may contain spaces, so parse after its ')').
func procPgrp(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:]) // state ppid pgrp ...
	if len(f) < 3 {
		return 0, false
	}
	pgrp, err := strconv.Atoi(f[2])
	return pgrp, err == nil
}
