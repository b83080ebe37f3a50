//go:build unix

package diagnose

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

func init() {
	// fds DIR LIMIT: lower RLIMIT_NOFILE to LIMIT, then obey "open N"
	// (open N more files) and "close" (close them all), answering "ok".
	helpers["fds"] = func(args ...string) {
		limit, _ := strconv.ParseUint(args[1], 10, 64)
		var lim syscall.Rlimit
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
		lim.Cur = limit
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var files []*os.File
		fmt.Println("ready")
		scanCommands(func(cmd string, a []string) {
			switch cmd {
			case "open":
				n, _ := strconv.Atoi(a[0])
				for range n {
					f, err := os.OpenFile(filepath.Join(args[0], "state.db"), os.O_CREATE|os.O_RDWR, 0o600)
					if err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(1)
					}
					files = append(files, f)
				}
			case "close":
				for _, f := range files {
					f.Close()
				}
				files = nil
			}
			fmt.Println("ok")
		})
	}
}

const fdChildLimit = 200

func startFDChild(t *testing.T) *child {
	c := startChild(t, nil, "fds", t.TempDir(), strconv.Itoa(fdChildLimit))
	c.waitLine(t, "ready")
	return c
}

type captureCall struct {
	pid    int
	reason string
}

// watch runs p.Watch in the background and returns a channel closed when
// it returns; the test's cleanup cancels it and waits.
func watch(t *testing.T, p *Pressure, pid int, report func(bool, string)) <-chan struct{} {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Watch(ctx, pid, report)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Watch did not return within 10s of cancel")
		}
	})
	return done
}

func waitFor[T any](t *testing.T, ch <-chan T, what string, ok func(T) bool) T {
	t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	for {
		select {
		case v := <-ch:
			if ok(v) {
				return v
			}
		case <-timer.C:
			t.Fatalf("timed out after 10s waiting for %s", what)
		}
	}
}

func TestWatchWarnsOncePerCrossing(t *testing.T) {
	c := startFDChild(t)
	captures := make(chan captureCall, 10)
	counts := make(chan int, 100)
	warnAt := int(0.8 * fdChildLimit)
	p := &Pressure{
		Warn: 0.8, Interval: 20 * time.Millisecond, Log: zaptest.NewLogger(t),
		Capture: func(_ context.Context, pid int, reason string) { captures <- captureCall{pid, reason} },
		OnCount: func(open int, limit uint64) {
			if limit != fdChildLimit {
				t.Errorf("OnCount limit %d, want the child's own %d", limit, fdChildLimit)
			}
			select {
			case counts <- open:
			default:
			}
		},
	}
	watch(t, p, c.pid, func(h bool, r string) { t.Errorf("report(%v, %q) without a Restart threshold", h, r) })

	for crossing := 1; crossing <= 2; crossing++ {
		c.send(t, "open 170")
		call := waitFor(t, captures, "a warn capture", func(captureCall) bool { return true })
		if call.pid != c.pid || call.reason != "fd_pressure" {
			t.Fatalf("Capture(%d, %q), want (%d, fd_pressure)", call.pid, call.reason, c.pid)
		}
		for range 3 { // several more counts above Warn: no second capture
			waitFor(t, counts, "a count above Warn", func(n int) bool { return n >= warnAt })
		}
		if len(captures) != 0 {
			t.Fatalf("crossing %d: another capture while still above Warn", crossing)
		}
		c.send(t, "close")
		waitFor(t, counts, "a count below Warn", func(n int) bool { return n < warnAt })
	}
}

func TestWatchReportsRestart(t *testing.T) {
	c := startFDChild(t)
	c.send(t, "open 185")
	captures := make(chan captureCall, 10)
	reports := make(chan string, 10)
	p := &Pressure{
		Warn: 0.8, Restart: 0.9, Interval: 20 * time.Millisecond, Log: zaptest.NewLogger(t),
		Capture: func(_ context.Context, pid int, reason string) { captures <- captureCall{pid, reason} },
	}
	done := watch(t, p, c.pid, func(healthy bool, reason string) {
		if healthy {
			t.Error("report(true, ...): Watch must never report healthy")
		}
		reports <- reason
	})
	if r := waitFor(t, reports, "report(false, ...)", func(string) bool { return true }); r != "fd_pressure" {
		t.Fatalf("report reason %q, want fd_pressure", r)
	}
	waitFor(t, done, "Watch to return after reporting", func(struct{}) bool { return true })
	if len(reports) != 0 || len(captures) != 0 {
		t.Fatalf("%d more reports and %d warn captures, want none", len(reports), len(captures))
	}
}

func TestWatchStopsOnCancel(t *testing.T) {
	// A pid that does not exist: counting fails, Watch keeps trying quietly
	// and still returns promptly when cancelled (checked in cleanup).
	cmd := startChild(t, nil, "fds", t.TempDir(), "100")
	pid := cmd.pid
	_ = cmd.cmd.Process.Kill()
	_ = cmd.cmd.Wait()
	p := &Pressure{Interval: 10 * time.Millisecond, Limit: 10, Log: zaptest.NewLogger(t)}
	watch(t, p, pid, func(h bool, r string) { t.Errorf("report(%v, %q) for a process that is gone", h, r) })
}
