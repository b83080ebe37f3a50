//go:build unix

package diagnose

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hsup/hsup/fdlimit"
)

func init() {
	// fds DIR LIMIT: lower RLIMIT_NOFILE to LIMIT, then obey "open N"
	// (open N more files) and "close" (close them all), answering "ok".
	register("fds", func(args ...string) {
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
	})
}

const fdChildLimit = 200

func startFDChild(t *testing.T) *child {
	c := startChild(t, nil, "fds", t.TempDir(), strconv.Itoa(fdChildLimit))
	c.waitLine(t, "ready")
	return c
}

// TestWatchRealChild counts a real child's descriptors against the limit
// it set itself: on Linux read from the kernel, not hsup's setting; on
// macOS, which shows no other process's limit, the one hsup was given. A
// leak past Restart is reported once, then Watch returns.
func TestWatchRealChild(t *testing.T) {
	c := startFDChild(t)
	p := &Pressure{Warn: 0.8, Restart: 0.9, Interval: 20 * time.Millisecond, Log: zaptest.NewLogger(t),
		Limit: fdChildLimit, LimitSource: fdlimit.SourceSet}
	wantSource := fdlimit.SourceSet
	if runtime.GOOS == "linux" {
		wantSource = fdlimit.SourceChild
	}
	readings := make(chan Reading, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Watch(ctx, c.pid, func(r Reading) { readings <- r })
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	first := recvReading(t, readings)
	if first.Limit != fdChildLimit || first.Source != wantSource || first.Action != ActNone {
		t.Fatalf("first reading %+v, want the child's limit %d from %q and nothing to do", first, fdChildLimit, wantSource)
	}
	c.send(t, "open 185")
	for {
		r := recvReading(t, readings)
		if r.Action == ActRestart {
			if r.Open < 185 {
				t.Fatalf("restart at %d open, want at least the 185 the child opened", r.Open)
			}
			break
		}
	}
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatal("Watch did not return after the restart reading")
	}
}

func recvReading(t *testing.T, ch <-chan Reading) Reading {
	t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r
	case <-timer.C:
		t.Fatal("no reading within 10s")
	}
	return Reading{}
}
