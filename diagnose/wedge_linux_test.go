//go:build linux

package diagnose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func init() {
	// exhaust DIR N: pin the soft RLIMIT_NOFILE to N, open DIR/state.db
	// until open fails with EMFILE, then wait.
	register("exhaust", func(args ...string) {
		var n uint64
		_, _ = fmt.Sscan(args[1], &n)
		lim := syscall.Rlimit{}
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
			lim.Cur = n
			err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		}
		var files []*os.File
		for {
			f, err := os.OpenFile(filepath.Join(args[0], "state.db"), os.O_CREATE|os.O_RDONLY, 0o600)
			if errors.Is(err, syscall.EMFILE) {
				break
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			files = append(files, f)
		}
		fmt.Println("ready")
		waitStdinEOF()
		_ = files
	})
	// spin: keep one thread busy until stdin closes.
	register("spin", func(...string) {
		go func() {
			runtime.LockOSThread()
			for x := 0; ; x++ {
				_ = x
			}
		}()
		fmt.Println("ready")
		waitStdinEOF()
	})
}

// timedOut is a probe history of timeouts with no answer.
func timedOut(pid int, reason string) Facts {
	h := []ProbeRecord{{Kind: "cheap", Result: "ok", Status: 200}}
	for range 3 {
		h = append(h, ProbeRecord{Kind: "cheap", Result: "timeout"})
	}
	return Facts{Restart: true, Verdict: &Verdict{Reason: reason}, History: h}
}

func captureWedge(t *testing.T, cfg Config, c *child) (Summary, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	cfg.Log = zap.New(core)
	dir, err := New(cfg).Capture(context.Background(), c.pid, "health", c.start)
	if err != nil || dir == "" {
		t.Fatalf("Capture() = %q, %v", dir, err)
	}
	s := readSummary(t, dir)
	if s.Wedge == nil {
		t.Fatalf("summary.json has no wedge")
	}
	evidence, _ := json.Marshal(s.Wedge.Evidence)
	t.Logf("wedge %s: %s; evidence %s", s.Wedge.Kind, s.Wedge.Words, evidence)
	if r := s.Collectors["thread_cpu"]; !r.OK {
		t.Errorf("thread_cpu collector failed: %s", r.Error)
	}
	return s, logs
}

// TestCaptureWedgeFDExhausted: a child at its descriptor limit is
// fd_exhausted, with the file named, in summary.json and in the bundle's
// log line.
func TestCaptureWedgeFDExhausted(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := startChild(t, nil, "exhaust", dir, "64")
	c.waitLine(t, "ready")
	cfg, _ := testConfig(t)
	cfg.Facts = func(pid int, reason string) Facts { return timedOut(pid, reason) }
	s, logs := captureWedge(t, cfg, c)
	w := s.Wedge
	if w.Kind != WedgeFDExhausted || !strings.HasPrefix(w.Words, "out of file descriptors (") || !strings.Contains(w.Words, " on state.db)") {
		t.Errorf("wedge %q %q, want fd_exhausted naming state.db", w.Kind, w.Words)
	}
	if e := w.Evidence; e.FDLimit == nil || *e.FDLimit != 64 || e.FDLimitSource != "child" || e.OpenFDs == nil || *e.OpenFDs < 62 {
		t.Errorf("evidence limit %v (%s) open %v, want 64 from the child, >= 62 open", e.FDLimit, e.FDLimitSource, e.OpenFDs)
	}
	lines := logs.FilterMessage("diagnostics bundle written").All()
	if len(lines) != 1 || lines[0].ContextMap()["wedge"] != WedgeFDExhausted || lines[0].ContextMap()["wedge_words"] != w.Words {
		t.Errorf("bundle log lines %+v, want one with wedge %s and its words", lines, WedgeFDExhausted)
	}
}

// TestCaptureWedgeStopped: a child stopped by SIGSTOP (this test's own
// child) is stopped: every thread in state T.
func TestCaptureWedgeStopped(t *testing.T) {
	c, _ := holdStateDB(t, 1)
	if err := syscall.Kill(c.pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(c.pid, syscall.SIGCONT) })
	waitState(t, c.pid, "T")
	cfg, _ := testConfig(t)
	cfg.Facts = func(pid int, reason string) Facts { return timedOut(pid, reason) }
	s, _ := captureWedge(t, cfg, c)
	if s.Wedge.Kind != WedgeStopped || s.Wedge.Evidence.MainState != "T" {
		t.Errorf("wedge %q (main state %q), want stopped, T", s.Wedge.Kind, s.Wedge.Evidence.MainState)
	}
	if e := s.Wedge.Evidence; e.CPUSeconds == nil || *e.CPUSeconds > 0.01 || *e.CPUWindowSeconds < cpuWindow.Seconds() {
		t.Errorf("cpu %v over %v, want about none over at least %v", e.CPUSeconds, e.CPUWindowSeconds, cpuWindow)
	}
}

// TestCaptureWedgeBlocked: a child whose threads all sleep, with
// connections waiting (as the accept-queue sample says) and probes
// unanswered, is blocked and accept_stall.
func TestCaptureWedgeBlocked(t *testing.T) {
	c, _ := holdStateDB(t, 1)
	cfg, _ := testConfig(t)
	cfg.Facts = func(pid int, reason string) Facts { return timedOut(pid, reason) }
	cfg.AcceptQueue = func() (int, int, bool) { return 3, 128, true }
	s, _ := captureWedge(t, cfg, c)
	if w := s.Wedge; !slices.Equal(w.Kinds, []string{WedgeBlocked, WedgeAcceptStall}) {
		t.Errorf("kinds %q, want blocked, accept_stall (a sleeping child uses no CPU)", w.Kinds)
	}
	if q := s.Wedge.Evidence.AcceptQueue; q == nil || q.Length != 3 || q.Backlog != 128 {
		t.Errorf("accept_queue %+v, want 3 of 128", q)
	}
}

// TestCaptureWedgeSpin: the spinning thread is measured and listed first.
// Whether it passes half a core depends on the machine's load, so the
// kind is only checked to follow from the evidence.
func TestCaptureWedgeSpin(t *testing.T) {
	c := startChild(t, nil, "spin")
	c.waitLine(t, "ready")
	cfg, _ := testConfig(t)
	cfg.Facts = func(pid int, reason string) Facts { return timedOut(pid, reason) }
	s, _ := captureWedge(t, cfg, c)
	e := s.Wedge.Evidence
	if e.CPUSource != "schedstat" && e.CPUSource != "stat" || e.CPUSeconds == nil || *e.CPUSeconds <= 0 {
		t.Fatalf("cpu %v from %q, want some, from /proc", e.CPUSeconds, e.CPUSource)
	}
	if len(e.Threads) == 0 || e.Threads[0].CPUSeconds == nil || *e.Threads[0].CPUSeconds <= 0 || e.Threads[0].TID == c.pid {
		t.Errorf("busiest thread %+v, want the spinning one (not the main thread)", e.Threads)
	}
	if again := classifyWedge(e); !slices.Equal(again.Kinds, s.Wedge.Kinds) {
		t.Errorf("kinds %q do not follow from the evidence (%q)", s.Wedge.Kinds, again.Kinds)
	}
	cores := *e.CPUSeconds / *e.CPUWindowSeconds
	t.Logf("the spinning child used %.2f cores over %.3fs (%s)", cores, *e.CPUWindowSeconds, e.CPUSource)
	if cores > spinCores && s.Wedge.Kind != WedgeCPUSpin {
		t.Errorf("%.2f cores while answering nothing is %q, want cpu_spin", cores, s.Wedge.Kind)
	}
}

// waitState waits (bounded) until pid's state letter is want.
func waitState(t *testing.T, pid int, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err == nil {
			if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(string(b[i+2:]), want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d not in state %s within 5s: %s", pid, want, b)
		}
		<-tick.C
	}
}
