//go:build linux

package diagnose

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCaptureStateDBLeak(t *testing.T) {
	c, path := holdStateDB(t, 300)
	cfg, spy := testConfig(t)
	cfg.Health = func() any { return map[string]string{"cheap": "timeout"} }
	dir, err := New(cfg).Capture(context.Background(), c.pid, "health", c.start)
	if err != nil || dir == "" {
		t.Fatalf("Capture() = %q, %v", dir, err)
	}
	s := readSummary(t, dir)
	if s.FDSource != "lsof" {
		t.Fatalf("fd_source %q, want lsof", s.FDSource)
	}
	checkTopFile(t, s, path, 300)
	mustExist(t, dir, "summary.json", "lsof.txt", "threads.txt", "hsup-goroutines.txt", "limits.txt", "status.txt")
	mustNotExist(t, dir, "fds.txt")
	checkModes(t, dir)
	if s.Threads == nil || *s.Threads < 1 || s.NofileSoft == nil || *s.NofileSoft == 0 {
		t.Fatalf("threads %v nofile_soft %v, want both known", s.Threads, s.NofileSoft)
	}
	for name, r := range s.Collectors {
		if !r.OK {
			t.Errorf("collector %s failed: %s", name, r.Error)
		}
	}
	if spy.last() != "ok" {
		t.Fatalf("OnBundle result %q, want ok", spy.last())
	}
	threads, _ := os.ReadFile(filepath.Join(dir, "threads.txt"))
	if !strings.Contains(string(threads), "tid ") {
		t.Fatalf("threads.txt = %.300q, want a line per thread", threads)
	}
}

func TestCaptureWithoutLsof(t *testing.T) {
	c, path := holdStateDB(t, 300)
	t.Setenv("PATH", t.TempDir())
	cfg, _ := testConfig(t)
	dir, err := New(cfg).Capture(context.Background(), c.pid, "health", c.start)
	if err != nil || dir == "" {
		t.Fatalf("Capture() = %q, %v", dir, err)
	}
	s := readSummary(t, dir)
	checkProcFallback(t, dir, s, path, 300)
	checkModes(t, dir)
	if _, ok := s.Collectors["lsof"]; ok {
		t.Fatalf("an absent lsof is recorded as a collector: %+v", s.Collectors["lsof"])
	}
}

func checkProcFallback(t *testing.T, dir string, s Summary, path string, atLeast int) {
	t.Helper()
	if s.FDSource != "proc" {
		t.Fatalf("fd_source %q, want proc", s.FDSource)
	}
	checkTopFile(t, s, path, atLeast)
	mustExist(t, dir, "fds.txt")
	b, _ := os.ReadFile(filepath.Join(dir, "fds.txt"))
	if !strings.Contains(string(b), " -> "+path+"\n") {
		t.Fatalf("fds.txt = %.300q, want \"fd -> %s\" lines", b, path)
	}
}
