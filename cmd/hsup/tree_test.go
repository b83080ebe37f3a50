package main

import (
	"testing"

	"github.com/hsup/hsup/proctree"
)

// TestTreeNeverRootedAtKernelOrInit: the descendants of pid 0 or 1 are
// every process; a tree (and so a sweep) rooted there must be empty.
func TestTreeNeverRootedAtKernelOrInit(t *testing.T) {
	table := proctree.Table{
		{Pid: 1, PPid: 0, Pgid: 1}, {Pid: 2, PPid: 0, Pgid: 0},
		{Pid: 100, PPid: 1, Pgid: 100}, {Pid: 101, PPid: 100, Pgid: 100},
	}
	for _, pid := range []int{-1, 0, 1} {
		if got := tree(table, pid); len(got) != 0 {
			t.Errorf("tree(%d) = %v, want nothing", pid, got)
		}
	}
	if got := tree(table, 100); len(got) != 1 || got[0].Pid != 101 {
		t.Errorf("tree(100) = %v, want its child 101", got)
	}
}
