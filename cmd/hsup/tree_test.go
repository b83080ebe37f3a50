package main

import (
	"os"
	"testing"
)

// TestTreeNeverRootedAtKernelOrInit: the descendants of pid 0 or 1 are
// every process; a tree (and so a sweep) rooted there must be empty.
func TestTreeNeverRootedAtKernelOrInit(t *testing.T) {
	for _, pid := range []int{-1, 0, 1} {
		if got := tree(pid); len(got) != 0 {
			t.Errorf("tree(%d) = %d processes, want none", pid, len(got))
		}
	}
	if got := sweep(0, 0, nil, 0); got != nil {
		t.Errorf("sweep(0, 0, signal 0) = %v, want nothing", got) // signal 0 only probes: safe if this broke
	}
	if got := tree(os.Getpid()); len(got) != 0 {
		t.Errorf("tree(this test) = %v, want no descendants", got)
	}
}
