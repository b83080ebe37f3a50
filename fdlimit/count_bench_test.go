//go:build unix

package fdlimit

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// BenchmarkCount counts a real child's descriptors with the platform's
// Count (Linux /proc, macOS proc_pidinfo) and with lsof, alternately in
// the same loop, so both see the same process and the same machine load.
// It reports each one's wall time, the CPU lsof spent in its own process
// (which ns/op does not see), and lsof/count, the ratio of wall times.
//
//	go test -run '^$' -bench BenchmarkCount -benchtime 50x ./fdlimit/
func BenchmarkCount(b *testing.B) {
	if _, err := exec.LookPath("lsof"); err != nil {
		b.Skipf("lsof not on PATH: %v", err)
	}
	pid := startHolder(b, 100).Process.Pid
	var platform, lsof time.Duration
	cpuBefore := childrenCPU(b)
	for b.Loop() {
		t0 := time.Now()
		if _, err := Count(pid); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := countLsof(pid); err != nil {
			b.Fatal(err)
		}
		platform, lsof = platform+t1.Sub(t0), lsof+time.Since(t1)
	}
	lsofCPU := childrenCPU(b) - cpuBefore
	n := float64(b.N)
	b.ReportMetric(float64(platform.Nanoseconds())/n, "count-ns/op")
	b.ReportMetric(float64(lsof.Nanoseconds())/n, "lsof-ns/op")
	b.ReportMetric(float64(lsofCPU.Nanoseconds())/n, "lsof-cpu-ns/op")
	b.ReportMetric(float64(lsof)/float64(platform), "lsof/count")
}

// childrenCPU is the user and system time of this process's children that
// have been waited for: the lsof runs (the holder is waited for only at
// the end).
func childrenCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
