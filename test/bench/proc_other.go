//go:build !linux

package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Without /proc (macOS) the figures come from ps(1), at its resolution.

func psField(pid int, field string) (string, error) {
	out, err := exec.Command("ps", "-o", field+"=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return "", fmt.Errorf("ps -o %s -p %d: %w", field, pid, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// cpuTime is the process's own user+system time as ps reports it.
func cpuTime(pid int) (time.Duration, error) {
	s, err := psField(pid, "time")
	if err != nil {
		return 0, err
	}
	return psDuration(s)
}

func rssKB(pid int) (int64, error) {
	s, err := psField(pid, "rss")
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

// openFDs counts lsof's rows for pid (minus its header).
func openFDs(pid int) (int, error) {
	out, err := exec.Command("lsof", "-n", "-P", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return 0, fmt.Errorf("lsof -p %d: %w", pid, err)
	}
	return max(0, bytes.Count(out, []byte("\n"))-1), nil
}

func cpuModel() string {
	out, err := exec.Command("sysctl", "-n", "machdep.cpu.brand_string").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
