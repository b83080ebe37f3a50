package soak

import (
	"testing"

	"github.com/prometheus/procfs"
)

// fdCount is the number of open descriptors of pid.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	p, err := procfs.NewProc(pid)
	if err != nil {
		t.Fatalf("count fds of %d: %v", pid, err)
	}
	n, err := p.FileDescriptorsLen()
	if err != nil {
		t.Fatalf("count fds of %d: %v", pid, err)
	}
	return n
}

// rssKiB is VmRSS of pid in KiB, -1 when pid is gone.
func rssKiB(pid int) int {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return -1
	}
	st, err := p.NewStatus()
	if err != nil {
		return -1
	}
	return int(st.VmRSS / 1024)
}

// stat is what /proc/PID/stat says of a process: its state letter and
// process group; ok is false when it is gone.
func stat(pid int) (state byte, pgrp int, ok bool) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, 0, false
	}
	st, err := p.Stat()
	if err != nil || st.State == "" {
		return 0, 0, false
	}
	return st.State[0], st.PGRP, true
}

// alive is true when pid exists and is not a zombie (a zombie holds no
// port, no file and no CPU; its parent or init reaps it).
func alive(pid int) bool {
	state, _, ok := stat(pid)
	return ok && state != 'Z' && state != 'X'
}

// groupAlive lists the live processes whose process group is pgid.
func groupAlive(pgid int) []int {
	procs, _ := procfs.AllProcs()
	var out []int
	for _, p := range procs {
		if state, pgrp, ok := stat(p.PID); ok && pgrp == pgid && state != 'Z' && state != 'X' {
			out = append(out, p.PID)
		}
	}
	return out
}
