package soak

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// grandchildren is how many processes the child starts in its group.
const grandchildren = 200

// wedgeGrace is --stop-grace: long enough that a child exiting on SIGTERM
// is gone well before hsup's SIGKILL of the group would come.
const wedgeGrace = 3 * time.Second

// goneWait bounds how long dead processes may take to vanish once the
// restart is under way: signal delivery and reaping by init.
const goneWait = 2 * time.Second

// TestWedgedChildLeavesNoGrandchildren: a child with 200 grandchildren in
// its process group wedges; after the restart none of them may be left.
// With "ignore-term" the grandchildren ignore SIGTERM while the child
// itself exits on it, so only the group's SIGKILL ends them.
func TestWedgedChildLeavesNoGrandchildren(t *testing.T) {
	for _, mode := range []string{"term-ok", "ignore-term"} {
		t.Run(mode, func(t *testing.T) { wedgeWithGrandchildren(t, mode) })
	}
}

func wedgeWithGrandchildren(t *testing.T, mode string) {
	addr := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
	pidDir := t.TempDir()
	t.Cleanup(func() { killLeftovers(t, pidDir) })
	p := hsuptest.Start(t, []string{"run", "--health-url=http://" + addr + "/health", "--health-interval=200ms",
		"--health-timeout=500ms", "--health-failures=2", "--deep-url=", "--heartbeat-field=", "--metrics-addr=",
		"--log-format=json", "--diag-dir=" + t.TempDir(), "--stop-grace=" + wedgeGrace.String(), "--backoff-min=100ms",
		"--backoff-max=200ms", "--", os.Args[0], addr, pidDir, strconv.Itoa(grandchildren), mode}, reexec.Env(t, "spawn"), noExitSleep)
	first, at := p.WaitLine(t, 0, stateWait, "first child running", hsuptest.State("running"))
	pid := first.Int("pid")
	pgid, old := readPids(t, pidDir, pid)
	if _, childPgrp, ok := stat(pid); !ok || childPgrp != pgid {
		t.Fatalf("the child %d is not in the group %d it recorded", pid, pgid)
	}
	for _, g := range old {
		if _, pgrp, ok := stat(g); !ok || pgrp != pgid {
			t.Fatalf("grandchild %d is not alive in the child's group %d", g, pgid)
		}
	}
	if code, body := hsuptest.Post(t, "http://"+addr+"/wedge"); code != 200 {
		t.Fatalf("POST /wedge: %d %s", code, body)
	}
	next, _ := p.WaitLine(t, at+1, stateWait, "the replacement running", hsuptest.State("running"))
	if next.Int("pid") == pid {
		t.Fatalf("the replacement has the old pid %d", pid)
	}
	if left := stillAlive(old, goneWait); len(left) > 0 {
		t.Errorf("%d of %d grandchildren outlived the restart (e.g. pid %d)", len(left), len(old), left[0])
	}
	// Shutting down for good must not leave the second child's group either.
	_, second := readPids(t, pidDir, next.Int("pid"))
	p.Signal(t, syscall.SIGTERM)
	p.Wait(t, 5*time.Second)
	if left := stillAlive(second, goneWait); len(left) > 0 {
		t.Errorf("%d of %d grandchildren outlived hsup's shutdown (e.g. pid %d)", len(left), len(second), left[0])
	}
}

// readPids reads the process group and the grandchildren that child pid
// recorded.
func readPids(t *testing.T, dir string, pid int) (int, []int) {
	t.Helper()
	path := filepath.Join(dir, strconv.Itoa(pid)+".pids")
	waitFile(t, path, stateWait)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, n)
	}
	if len(out) != grandchildren+1 {
		t.Fatalf("%s lists %d grandchildren, want %d", path, len(out)-1, grandchildren)
	}
	return out[0], out[1:]
}

// stillAlive returns the pids still alive after up to timeout, checked
// every 20 ms.
func stillAlive(pids []int, timeout time.Duration) []int {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var left []int
		for _, pid := range pids {
			if alive(pid) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			return nil
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return left
		}
	}
}

// killLeftovers SIGKILLs grandchildren this test's children started that
// are still alive in their original group, so a failing run leaves
// nothing behind. A pid reused by another process has another group and
// is left alone.
func killLeftovers(t *testing.T, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.pids"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		fields := strings.Fields(string(b))
		if len(fields) == 0 {
			continue
		}
		pgid, _ := strconv.Atoi(fields[0])
		for _, s := range fields[1:] {
			pid, _ := strconv.Atoi(s)
			if _, pgrp, ok := stat(pid); ok && pgrp == pgid && alive(pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}
