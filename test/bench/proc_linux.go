//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// userHZ is the kernel's USER_HZ, the unit of /proc stat times; it is 100
// on every Linux architecture Go supports.
const userHZ = 100

// cpuTime is the process's own utime+stime, not its children's.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("read hsup's CPU time: %w", err)
	}
	ticks, err := cpuTicks(string(b))
	return time.Duration(ticks) * time.Second / userHZ, err
}

// rssKB is VmRSS from /proc/<pid>/status.
func rssKB(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read hsup's RSS: %w", err)
	}
	return statusKB(string(b), "VmRSS")
}

// openFDs counts the entries of /proc/<pid>/fd.
func openFDs(pid int) (int, error) {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 0, fmt.Errorf("count the child's FDs: %w", err)
	}
	return len(ents), nil
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
