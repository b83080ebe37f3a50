package diagnose

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

func init() {
	// hold DIR N: open N handles on DIR/state.db, then wait.
	register("hold", func(args ...string) {
		n, _ := strconv.Atoi(args[1])
		var files []*os.File
		for range n {
			f, err := os.OpenFile(filepath.Join(args[0], "state.db"), os.O_CREATE|os.O_RDWR, 0o600)
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
	// dump-on-usr1: print "dumped" on SIGUSR1, like Python's faulthandler.
	register("dump-on-usr1", func(...string) {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGUSR1)
		go func() {
			for range ch {
				fmt.Println("dumped: Thread 0x7f (most recent call first)")
			}
		}()
		fmt.Println("ready")
		waitStdinEOF()
	})
	// serve-pprof: a Go child with net/http/pprof on 127.0.0.1:0.
	register("serve-pprof", func(...string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		go func() { _ = http.Serve(ln, mux) }()
		fmt.Println("addr " + ln.Addr().String())
		waitStdinEOF()
	})
}

// bundleSpy records OnBundle calls.
type bundleSpy struct {
	mu      sync.Mutex
	results []string
}

func (s *bundleSpy) record(result string, _ time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results = append(s.results, result)
}

func (s *bundleSpy) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.results) == 0 {
		return ""
	}
	return s.results[len(s.results)-1]
}

func testConfig(t *testing.T) (Config, *bundleSpy) {
	spy := &bundleSpy{}
	return Config{
		Dir:      filepath.Join(t.TempDir(), "diagnostics"),
		Timeout:  5 * time.Second,
		Log:      zaptest.NewLogger(t),
		OnBundle: spy.record,
	}, spy
}

func readSummary(t *testing.T, dir string) Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("summary.json: %v\n%s", err, b)
	}
	return s
}

func mustExist(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("bundle lacks %s: %v", n, err)
		}
	}
}

func mustNotExist(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("bundle has %s, want none (stat: %v)", n, err)
		}
	}
}

// holdStateDB starts a child holding n handles on state.db and returns it
// with the path as lsof and /proc will name it.
func holdStateDB(t *testing.T, n int) (*child, string) {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir()) // macOS: /var is /private/var
	if err != nil {
		t.Fatal(err)
	}
	c := startChild(t, nil, "hold", dir, strconv.Itoa(n))
	c.waitLine(t, "ready")
	return c, filepath.Join(dir, "state.db")
}

func checkTopFile(t *testing.T, s Summary, path string, atLeast int) {
	t.Helper()
	if len(s.TopFiles) == 0 || s.TopFiles[0].Path != path || s.TopFiles[0].Count < atLeast {
		t.Fatalf("top_files = %+v, want first %s with count >= %d", s.TopFiles, path, atLeast)
	}
	if s.OpenFDs == nil || *s.OpenFDs < atLeast {
		t.Fatalf("open_fds = %v, want >= %d", s.OpenFDs, atLeast)
	}
}

// checkModes verifies the bundle directory is 0700 and its files 0600.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("bundle dir mode %v, want 0700", st.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if !info.Mode().IsRegular() || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want a regular file 0600", e.Name(), info.Mode())
		}
	}
}

func TestCaptureDirIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{file, filepath.Join(file, "sub")} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg, spy := testConfig(t)
			cfg.Dir = dir
			c := New(cfg)
			if err := c.Check(); err == nil {
				t.Error("Check() = nil, want an error for a non-directory")
			}
			began := time.Now()
			got, err := c.Capture(context.Background(), os.Getpid(), "health", time.Time{})
			if err == nil || got != "" {
				t.Fatalf("Capture() = %q, %v; want \"\" and an error", got, err)
			}
			if d := time.Since(began); d > time.Second {
				t.Fatalf("Capture() took %v on an unusable dir, want well under 1s", d)
			}
			if spy.last() != "failed" {
				t.Fatalf("OnBundle result %q, want failed", spy.last())
			}
		})
	}
}

func TestCheckCreatesDir(t *testing.T) {
	cfg, _ := testConfig(t)
	if err := New(cfg).Check(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(cfg.Dir)
	if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
		t.Fatalf("Check() left %v (%v), want a 0700 directory", st, err)
	}
	if err := New(Config{}).Check(); err == nil {
		t.Fatal("Check() with no Dir = nil, want an error")
	}
}

func TestRetentionKeepsNewest(t *testing.T) {
	c, _ := holdStateDB(t, 1)
	cfg, _ := testConfig(t)
	cfg.Keep = 2
	clock := time.Date(2026, 11, 22, 11, 44, 7, 123e6, time.UTC)
	cfg.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "operator-notes"), 0o700); err != nil {
		t.Fatal(err)
	}
	capt := New(cfg)
	var dirs []string
	for range 3 {
		dir, err := capt.Capture(context.Background(), c.pid, "health", c.start)
		if dir == "" {
			t.Fatalf("Capture() wrote no bundle: %v", err)
		}
		dirs = append(dirs, filepath.Base(dir))
	}
	entries, err := os.ReadDir(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{seqName, dirs[1], dirs[2], "operator-notes"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("after 3 captures with Keep=2: %v, want %v", got, want)
	}
	if dirs[0] != "20261122T114408.123Z-pid"+strconv.Itoa(c.pid)+"-health" {
		t.Fatalf("bundle name %q, want <UTC time>-pid<PID>-<reason>", dirs[0])
	}
}

// TestCapturePlantedSymlink: a symlink waiting under the next bundle's
// name must not redirect the bundle.
func TestCapturePlantedSymlink(t *testing.T) {
	cfg, _ := testConfig(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg.Now = func() time.Time { return at }
	elsewhere := t.TempDir()
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	planted := name(at, os.Getpid(), "health")
	if err := os.Symlink(elsewhere, filepath.Join(cfg.Dir, planted)); err != nil {
		t.Fatal(err)
	}
	dir, _ := New(cfg).Capture(context.Background(), os.Getpid(), "health", time.Time{})
	if filepath.Base(dir) != planted+"-2" {
		t.Fatalf("bundle %q, want %s-2 beside the planted symlink", dir, planted)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Fatalf("the symlink's target got %d files, want none", len(entries))
	}
}

func TestCaptureDumpSignal(t *testing.T) {
	tail := NewTail(64 << 10)
	c := startChild(t, tail, "dump-on-usr1")
	c.waitLine(t, "ready")
	cfg, _ := testConfig(t)
	cfg.Tail, cfg.DumpSignal, cfg.DumpWait = tail, syscall.SIGUSR1, time.Second
	dir, err := New(cfg).Capture(context.Background(), c.pid, "heartbeat", c.start)
	if dir == "" {
		t.Fatalf("Capture() wrote no bundle: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "output-tail.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "dumped") {
		t.Fatalf("output-tail.txt = %q, want the child's answer to SIGUSR1", b)
	}
	if s := readSummary(t, dir); !s.Collectors["dump_signal"].OK {
		t.Fatalf("dump_signal collector: %+v", s.Collectors["dump_signal"])
	}
}

func TestCaptureDumpURL(t *testing.T) {
	c := startChild(t, nil, "serve-pprof")
	addr := strings.TrimPrefix(c.waitLine(t, "addr "), "addr ")
	cfg, _ := testConfig(t)
	cfg.DumpURL = "http://" + addr + "/debug/pprof/goroutine?debug=2"
	dir, err := New(cfg).Capture(context.Background(), c.pid, "deep", c.start)
	if dir == "" {
		t.Fatalf("Capture() wrote no bundle: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "dump-url.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "goroutine") {
		t.Fatalf("dump-url.txt = %.200q, want a goroutine dump", b)
	}
}

func TestCaptureDumpURLRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	cfg, spy := testConfig(t)
	cfg.DumpURL = "http://" + addr + "/debug/pprof/goroutine?debug=2"
	dir, err := New(cfg).Capture(context.Background(), os.Getpid(), "deep", time.Time{})
	if dir == "" || err == nil || !strings.Contains(err.Error(), "dump_url") {
		t.Fatalf("Capture() = %q, %v; want a bundle and an error naming dump_url", dir, err)
	}
	if s := readSummary(t, dir); s.Collectors["dump_url"].OK || s.Collectors["dump_url"].Error == "" {
		t.Fatalf("dump_url collector = %+v, want failed with an error", s.Collectors["dump_url"])
	}
	if spy.last() != "partial" {
		t.Fatalf("OnBundle result %q, want partial", spy.last())
	}
}

// writeTool puts an executable shell script named name in a new directory
// and returns the directory.
func writeTool(t *testing.T, name, script string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCaptureHungLsof(t *testing.T) {
	c, path := holdStateDB(t, 5)
	tools := writeTool(t, "lsof", "sleep 60\n")
	t.Setenv("PATH", tools+string(os.PathListSeparator)+os.Getenv("PATH"))
	cfg, spy := testConfig(t)
	cfg.Timeout = time.Second
	began := time.Now()
	dir, err := New(cfg).Capture(context.Background(), c.pid, "health", c.start)
	took := time.Since(began)
	if took > 2500*time.Millisecond {
		t.Fatalf("Capture() took %v with a hung lsof and Timeout=1s", took)
	}
	if dir == "" || err == nil {
		t.Fatalf("Capture() = %q, %v; want a bundle and an error", dir, err)
	}
	s := readSummary(t, dir)
	if r := s.Collectors["lsof"]; r.OK || r.Error == "" {
		t.Fatalf("lsof collector = %+v, want failed with an error", r)
	}
	mustExist(t, dir, "summary.json", "hsup-goroutines.txt")
	mustNotExist(t, dir, "lsof.txt")
	if spy.last() != "partial" {
		t.Fatalf("OnBundle result %q, want partial", spy.last())
	}
	checkProcFallback(t, dir, s, path, 5)
}

func TestCapturePySpy(t *testing.T) {
	if runtime.GOOS == "darwin" && os.Geteuid() != 0 {
		t.Skip("py-spy is skipped on macOS without root (it needs it); TestPlanTools covers that choice")
	}
	tools := writeTool(t, "py-spy", `echo "Thread 0x1 (idle): MainThread"; echo "args: $*"`+"\n")
	t.Setenv("PATH", tools+string(os.PathListSeparator)+os.Getenv("PATH"))
	cfg, _ := testConfig(t)
	dir, err := New(cfg).Capture(context.Background(), os.Getpid(), "health", time.Time{})
	if dir == "" {
		t.Fatalf("Capture() wrote no bundle: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "py-stack.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "args: dump --pid " + strconv.Itoa(os.Getpid()); !strings.Contains(string(b), want) {
		t.Fatalf("py-stack.txt = %q, want %q", b, want)
	}
}

func TestCaptureHealthSnapshot(t *testing.T) {
	cfg, _ := testConfig(t)
	cfg.Health = func() any { return map[string]any{"cheap": "ok", "heartbeat_age_seconds": 3} }
	at := time.Date(2026, 11, 22, 11, 44, 7, 123e6, time.UTC)
	cfg.Now = func() time.Time { return at }
	dir, err := New(cfg).Capture(context.Background(), os.Getpid(), "fd pressure/../x", at.Add(-90*time.Second))
	if dir == "" {
		t.Fatalf("Capture() wrote no bundle: %v", err)
	}
	if !strings.HasSuffix(dir, "-fd_pressure____x") {
		t.Fatalf("bundle %q: reason not sanitized to a single path element", dir)
	}
	s := readSummary(t, dir)
	var health bytes.Buffer
	if err := json.Compact(&health, s.Health); err != nil || health.String() != `{"cheap":"ok","heartbeat_age_seconds":3}` {
		t.Fatalf("health = %s (%v)", s.Health, err)
	}
	if s.CapturedAt != "2026-11-22T11:44:07.123Z" || s.UptimeSeconds == nil || *s.UptimeSeconds != 90 {
		t.Fatalf("captured_at %q uptime %v, want 2026-11-22T11:44:07.123Z and 90", s.CapturedAt, s.UptimeSeconds)
	}
	if s.Reason != "fd pressure/../x" || s.PID != os.Getpid() {
		t.Fatalf("reason %q pid %d", s.Reason, s.PID)
	}
}
