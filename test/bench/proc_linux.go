//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/procfs"
)

// userHZ is the kernel's USER_HZ, the unit of /proc stat times; it is 100
// on every Linux architecture Go supports.
const userHZ = 100

// cpuTime is the process's own utime+stime, not its children's.
func cpuTime(pid int) (time.Duration, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, fmt.Errorf("read hsup's CPU time: %w", err)
	}
	st, err := p.Stat()
	if err != nil {
		return 0, fmt.Errorf("read hsup's CPU time: %w", err)
	}
	return time.Duration(st.UTime+st.STime) * time.Second / userHZ, nil
}

// rssKB is VmRSS from /proc/<pid>/status.
func rssKB(pid int) (int64, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, fmt.Errorf("read hsup's RSS: %w", err)
	}
	st, err := p.NewStatus()
	if err != nil {
		return 0, fmt.Errorf("read hsup's RSS: %w", err)
	}
	return int64(st.VmRSS / 1024), nil
}

// openFDs counts the entries of /proc/<pid>/fd.
func openFDs(pid int) (int, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, fmt.Errorf("count the child's FDs: %w", err)
	}
	n, err := p.FileDescriptorsLen()
	if err != nil {
		return 0, fmt.Errorf("count the child's FDs: %w", err)
	}
	return n, nil
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && string(bytes.TrimSpace(k)) == "model name" {
			return string(bytes.TrimSpace(v))
		}
	}
	return "unknown"
}
