//go:build linux

package proctree

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Children lists pid's children. The kernel files a child under the thread
// that forked it, so every thread's list is read.
func Children(pid int) ([]int, error) {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		return nil, fmt.Errorf("list the threads of pid %d: %w", pid, err)
	}
	var kids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended meanwhile
		}
		for _, w := range strings.Fields(string(b)) {
			if k, err := strconv.Atoi(w); err == nil {
				kids = append(kids, k)
			}
		}
	}
	return kids, nil
}

func walk(roots []int) (Table, error) {
	seen := make(map[int]bool, len(roots))
	for _, r := range roots {
		seen[r] = true
	}
	var out Table
	for queue := roots; len(queue) > 0; queue = queue[1:] {
		kids, err := Children(queue[0])
		if err != nil {
			return nil, err
		}
		for _, k := range kids {
			if seen[k] {
				continue
			}
			seen[k] = true
			if p, ok := Identify(k); ok {
				out = append(out, p)
				queue = append(queue, k)
			}
		}
	}
	sortByPid(out)
	return out, nil
}
