//go:build linux || darwin

package proctree

import (
	"context"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

func TestSnapshotSelf(t *testing.T) {
	table, err := Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(table, func(a, b Proc) int { return a.Pid - b.Pid }) {
		t.Error("Snapshot() is not sorted by pid")
	}
	self, ok := table.Lookup(os.Getpid())
	if !ok {
		t.Fatalf("Snapshot() lacks this process %d", os.Getpid())
	}
	if self.PPid != os.Getppid() || self.Pgid != syscall.Getpgrp() || self.Start == 0 || self.Zombie {
		t.Fatalf("Snapshot() has this process as %+v; want ppid %d, pgid %d, a start time, not a zombie",
			self, os.Getppid(), syscall.Getpgrp())
	}
	if got, ok := Identify(os.Getpid()); !ok || got != self {
		t.Fatalf("Identify(self) = %+v, %v; want the snapshot's %+v", got, ok, self)
	}
	if !slices.ContainsFunc(table.Descendants(os.Getppid()), func(p Proc) bool { return p.Pid == os.Getpid() }) {
		t.Fatalf("Descendants(parent %d) lacks this process", os.Getppid())
	}
}

func TestIdentifyNoProcess(t *testing.T) {
	for _, pid := range []int{0, -1, 1 << 30} {
		if p, ok := Identify(pid); ok {
			t.Errorf("Identify(%d) = %+v, true; want false", pid, p)
		}
	}
}

// TestDescendantsReal runs a helper that starts a grandchild in its group
// and a setsid'd one, and finds both below the helper.
func TestDescendantsReal(t *testing.T) {
	h := startHelper(t, "tree")
	reexec.Env(t, "block") // the grandchildren run it: mark it used
	pids := ints(t, h.line(t, "pids"))
	inGroup, setsid := pids[0], pids[1]

	table, err := Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	helperProc, ok := table.Lookup(h.pid)
	if !ok {
		t.Fatalf("Snapshot() lacks the helper %d", h.pid)
	}
	got := table.Descendants(h.pid)
	want := []Proc{
		{Pid: inGroup, PPid: h.pid, Pgid: h.pid, Sid: helperProc.Sid},
		{Pid: setsid, PPid: h.pid, Pgid: setsid, Sid: setsid},
	}
	slices.SortFunc(want, func(a, b Proc) int { return a.Pid - b.Pid })
	if len(got) != len(want) {
		t.Fatalf("Descendants(helper %d) = %+v, want pids %d and %d", h.pid, got, inGroup, setsid)
	}
	for i, g := range got {
		w := want[i]
		if runtime.GOOS == "darwin" {
			w.Sid = 0 // kinfo_proc has no session id
		}
		if g.Pid != w.Pid || g.PPid != w.PPid || g.Pgid != w.Pgid || g.Sid != w.Sid || g.Zombie || g.Start == 0 {
			t.Errorf("descendant %+v; want pid %d ppid %d pgid %d sid %d, running, with a start time",
				g, w.Pid, w.PPid, w.Pgid, w.Sid)
		}
		if !Same(g) {
			t.Errorf("Same(%+v) = false for a running descendant", g)
		}
	}
	walked, err := Walk(h.pid)
	if err != nil || !slices.Equal(pidsOf(walked), pidsOf(got)) {
		t.Errorf("Walk(%d) = %v, %v; want the snapshot's descendants %v", h.pid, pidsOf(walked), err, pidsOf(got))
	}
	if group := pidsOf(table.Group(h.pid)); !slices.Equal(group, []int{h.pid, inGroup}) {
		t.Errorf("Group(%d) = %v, want [%d %d] (the setsid'd worker left it)", h.pid, group, h.pid, inGroup)
	}

	if err := h.stop(t); err != nil {
		t.Fatalf("tree helper: %v", err)
	}
	for _, d := range got {
		if Same(d) {
			t.Errorf("Same(%+v) = true after the helper reaped it", d)
		}
	}
}

func TestListenersReal(t *testing.T) {
	tests := []struct {
		name string
		addr string
	}{
		{name: "IPv4", addr: "127.0.0.1:0"},
		{name: "IPv6", addr: "[::1]:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "IPv6" {
				skipWithoutIPv6Loopback(t)
			}
			h := startHelper(t, "listen", tt.addr)
			port, _ := strconv.Atoi(h.line(t, "port"))
			pids, unseen, err := Listeners(context.Background(), port)
			if err != nil || !slices.Equal(pids, []int{h.pid}) || unseen {
				t.Fatalf("Listeners(%d) = %v, %v, %v; want [%d], false, nil", port, pids, unseen, err, h.pid)
			}
		})
	}
}

func TestListenersNobody(t *testing.T) {
	port := freePort(t)
	pids, _, err := Listeners(context.Background(), port)
	if err != nil || len(pids) != 0 {
		t.Fatalf("Listeners(%d) = %v, %v; want no pids, nil", port, pids, err)
	}
}

func TestListenersCancelled(t *testing.T) {
	h := startHelper(t, "listen", "127.0.0.1:0")
	port, _ := strconv.Atoi(h.line(t, "port"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if pids, _, err := Listeners(ctx, port); err == nil {
		t.Fatalf("Listeners(cancelled ctx, %d) = %v, nil; want ctx's error", port, pids)
	}
}

// TestLsofListeners runs the macOS path (lsof -t) against a real listener;
// Linux's lsof prints the same -t format.
func TestLsofListeners(t *testing.T) {
	if _, err := exec.LookPath("lsof"); err != nil {
		t.Skipf("lsof not on PATH (macOS always has it): %v", err)
	}
	h := startHelper(t, "listen", "127.0.0.1:0")
	port, _ := strconv.Atoi(h.line(t, "port"))
	pids, err := lsofListeners(context.Background(), port)
	if err != nil || !slices.Equal(pids, []int{h.pid}) {
		t.Fatalf("lsofListeners(%d) = %v, %v; want [%d], nil", port, pids, err, h.pid)
	}
	pids, err = lsofListeners(context.Background(), freePort(t))
	if err != nil || len(pids) != 0 {
		t.Fatalf("lsofListeners(free port) = %v, %v; want none, nil (lsof's exit 1)", pids, err)
	}
}

// freePort returns a loopback port that nobody listens on: one the kernel
// just handed out and that was closed again.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// skipWithoutIPv6Loopback skips the test when this host cannot listen on
// ::1 (IPv6 disabled, as in some containers).
func skipWithoutIPv6Loopback(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("cannot listen on [::1]: %v", err)
	}
	ln.Close()
}
