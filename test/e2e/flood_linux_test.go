//go:build linux

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

func init() { reexec.Register("pinned-health", helperPinnedHealth) }

// helperPinnedHealth ADDR serves /health on ADDR with the soft
// RLIMIT_NOFILE it was started with, the way the WebUI (which sets its own
// limit) would: the Go runtime raised its soft limit at start-up but gives
// a child the start-up one back, so it asks a shell and pins that. Its
// heartbeat counts accepted connections; it stops on SIGTERM.
func helperPinnedHealth(args ...string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	out, err := exec.Command("/bin/sh", "-c", "ulimit -n").Output()
	if err != nil {
		return helperFailed("ulimit -n", err)
	}
	var lim syscall.Rlimit
	if n, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64); err == nil {
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return helperFailed("getrlimit", err)
		}
		lim.Cur = n
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return helperFailed("setrlimit", err)
		}
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		return helperFailed("listen", err)
	}
	var accepted atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"ok","pid":%d,"accept_loop":{"requests_total":%d}}`, os.Getpid(), accepted.Load())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				accepted.Add(1)
			}
		}}
	go func() { _ = srv.Serve(ln) }()
	say("helper ready", "pid", os.Getpid(), "nofile", lim.Cur)
	<-ctx.Done()
	_ = srv.Close()
	return 0
}

func helperFailed(what string, err error) int {
	say("helper failed", "what", what, "error", err.Error())
	return 1
}

// flooded is a real hsup supervising a pinned-health child, with its
// metrics port on loopback.
type flooded struct {
	p       *hsuptest.Proc
	metrics string // host:port
	child   int
	from    int // index of the first log line after the child was running
}

func startFlooded(t *testing.T, name, nofile string) *flooded {
	t.Helper()
	app := "127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t))
	f := &flooded{metrics: "127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t))}
	args := []string{"run", "--log-format=json", "--metrics-addr=" + f.metrics, "--diag-dir=" + t.TempDir(),
		"--name=" + name, "--state-dir=" + t.TempDir(),
		"--health-url=http://" + app + "/health", "--deep-url=", "--health-interval=200ms",
		"--health-timeout=1s", "--health-failures=2", "--startup-grace=10s",
		"--backoff-min=100ms", "--backoff-max=200ms", "--nofile=" + nofile, "--", self(t), app}
	f.p = hsuptest.Start(t, args, reexec.Env(t, "pinned-health"))
	f.child = ready(f.p, t).Int("pid")
	_, i := f.p.WaitLine(t, 0, lineWait, "the child running", hsuptest.State("running"))
	f.from = i + 1
	return f
}

// healthz is hsup's /healthz on a fresh connection: the status and the
// child's pid it reports (0 when it did not answer).
func (f *flooded) healthz(t *testing.T) (int, int) {
	t.Helper()
	code, body := hsuptest.Get(t, "http://"+f.metrics+"/healthz")
	var h struct {
		PID int `json:"pid"`
	}
	_ = json.Unmarshal([]byte(body), &h)
	return code, h.PID
}

// healthzSoon is /healthz once it answers, within the bound: after a
// flood, the slots the flood held free up as hsup sees them closed.
func (f *flooded) healthzSoon(t *testing.T, within time.Duration) (int, int) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, pid := f.healthz(t)
		if code != 0 || time.Now().After(deadline) {
			return code, pid
		}
		time.Sleep(100 * time.Millisecond) // the next try at a port that was full
	}
}

// checkChildUndisturbed: after the flood, the same child runs, hsup never
// left "running", never ran out of descriptors, and /healthz answers.
// It logs the child's downtime, the figure the issue reports.
func (f *flooded) checkChildUndisturbed(t *testing.T) {
	t.Helper()
	code, pid := f.healthzSoon(t, 10*time.Second)
	var down time.Duration
	var left time.Time
	var emfile []hsuptest.Line
	for _, l := range f.p.Lines()[f.from:] {
		msg := l.Msg()
		if strings.Contains(strings.ToLower(fmt.Sprint(l)), "too many open files") {
			emfile = append(emfile, l)
		}
		if !strings.HasPrefix(msg, "child ") || l.Str("from") == "" {
			continue
		}
		switch {
		case msg != "child running" && left.IsZero():
			left = lineTime(t, l)
			t.Errorf("the child left running: %v", l)
		case msg == "child running" && !left.IsZero():
			down += lineTime(t, l).Sub(left)
			left = time.Time{}
		}
	}
	if !left.IsZero() {
		down += time.Since(left)
	}
	if len(emfile) > 0 {
		t.Errorf("hsup ran out of descriptors %d times; first: %v", len(emfile), emfile[0])
	}
	t.Logf("after the flood: /healthz %d, child pid %d (was %d), child downtime %v", code, pid, f.child, down)
	if code != http.StatusOK || pid != f.child {
		t.Errorf("/healthz after the flood: status %d, pid %d; want 200 and the same child %d", code, pid, f.child)
	}
}

// procStatusKiB is a field of /proc/PID/status in KiB (VmRSS), -1 if gone.
func procStatusKiB(pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return -1
}

// openFDs is the number of pid's open descriptors, -1 if gone.
func openFDs(pid int) int {
	es, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(es)
}

// sampleMax samples measure every interval until the returned function is
// called, which stops the sampler and returns the largest sample.
func sampleMax(measure func() int, interval time.Duration) func() int {
	var (
		mu   sync.Mutex
		most = measure()
		wg   sync.WaitGroup
	)
	stop := make(chan struct{})
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			v := measure()
			mu.Lock()
			most = max(most, v)
			mu.Unlock()
		}
	})
	return func() int {
		close(stop)
		wg.Wait()
		return most
	}
}

// Header flood: 200 connections, each sending 1 MiB of header lines that
// never end. Before the bounds, hsup read each header whole (1 MB
// MaxHeaderBytes) on every connection at once: 1000 such connections took
// it from 15 MB to 2.2 GB.
const (
	headerFloodConns = 200
	headerFloodBytes = 1 << 20
	headerFloodRSS   = 64 << 10 // KiB of growth allowed
)

func TestFloodHeaders(t *testing.T) {
	f := startFlooded(t, "flood-headers", "4096")
	hsup := f.p.Cmd.Process.Pid
	before := procStatusKiB(hsup, "VmRSS")
	rss := sampleMax(func() int { return procStatusKiB(hsup, "VmRSS") }, 20*time.Millisecond)
	start := time.Now()
	var wg sync.WaitGroup
	var answered atomic.Int64
	line := []byte("X-Flood: " + strings.Repeat("a", 1014) + "\r\n") // 1 KiB
	for range headerFloodConns {
		c, err := net.DialTimeout("tcp", f.metrics, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %s: %v", f.metrics, err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(15 * time.Second))
		wg.Go(func() {
			if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: hsup\r\n")); err != nil {
				return
			}
			for sent := 0; sent < headerFloodBytes; sent += len(line) {
				if _, err := c.Write(line); err != nil {
					break // hsup answered 431 and closed: the point
				}
			}
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				resp.Body.Close()
				answered.Add(1)
			}
			c.Close()
		})
	}
	wg.Wait()
	most := rss()
	t.Logf("header flood: %d connections × %d KiB of headers in %v, %d answered (431); hsup VmRSS %d KiB before, at most %d KiB during (+%d KiB)",
		headerFloodConns, headerFloodBytes>>10, time.Since(start).Round(time.Millisecond), answered.Load(), before, most, most-before)
	if most-before > headerFloodRSS {
		t.Errorf("hsup's RSS grew by %d KiB under the header flood, want at most %d KiB", most-before, headerFloodRSS)
	}
	f.checkChildUndisturbed(t)
}

// Connection flood: 2000 kept-alive connections to /healthz. Before, hsup
// lowered its own soft limit to --nofile: about 4200 connections took all
// of its descriptors, its probes failed with "too many open files" and the
// healthy child was killed and could not be started again for 47 s.
const (
	connFloodConns = 2000
	connFloodHold  = 3 * time.Second // 15 probe intervals
	maxConns       = 64              // metrics.maxConns
	fdSlack        = 16              // hsup's other descriptors may come and go (probes, the FD count)
)

func TestFloodConnections(t *testing.T) {
	f := startFlooded(t, "flood-conns", "256")
	if got := childNofile(t, f.child); got != "256" {
		t.Fatalf("the child's /proc/%d/limits says soft %s, want --nofile=256", f.child, got)
	}
	if v := metricSoon(t, "http://"+f.metrics+"/metrics", "hsup_child_nofile_limit", 5*time.Second); v != 256 {
		t.Errorf("hsup_child_nofile_limit = %v, want 256", v)
	}
	failedBefore := failedProbes(t, f.metrics)
	hsup := f.p.Cmd.Process.Pid
	before := openFDs(hsup)
	fds := sampleMax(func() int { return openFDs(hsup) }, 20*time.Millisecond)
	request := []byte("GET /healthz HTTP/1.1\r\nHost: hsup\r\n\r\n")
	conns := make([]net.Conn, 0, connFloodConns)
	t.Cleanup(func() { closeConns(conns) })
	for range connFloodConns {
		c, err := net.DialTimeout("tcp", f.metrics, 2*time.Second)
		if err != nil {
			break // the backlog is full: the rest would wait in the kernel too
		}
		conns = append(conns, c)
		_, _ = c.Write(request) // kept alive: HTTP/1.1, not closed by this client until the end
	}
	time.Sleep(connFloodHold) // probes run against the flood meanwhile; the sampler counts hsup's FDs
	most := fds()
	t.Logf("connection flood: %d of %d kept-alive connections open for %v; hsup FDs %d before, at most %d during (cap %d)",
		len(conns), connFloodConns, connFloodHold, before, most, maxConns)
	if len(conns) < maxConns*4 {
		t.Errorf("only %d connections opened, too few to flood", len(conns))
	}
	if most > before+maxConns+fdSlack {
		t.Errorf("hsup held %d descriptors under the flood, want at most %d + %d + %d", most, before, maxConns, fdSlack)
	}
	closeConns(conns)
	f.checkChildUndisturbed(t)
	if n := failedProbes(t, f.metrics); n != failedBefore {
		t.Errorf("%v probes failed during the flood, want none", n-failedBefore)
	}
}

// failedProbes is the number of probes hsup counted as anything but ok
// (the first may be refused while the child starts to listen).
func failedProbes(t *testing.T, metrics string) float64 {
	t.Helper()
	m, _ := hsuptest.Scrape(t, "http://"+metrics+"/metrics")
	var n float64
	for series, v := range m {
		if strings.HasPrefix(series, "hsup_health_probes_total{") && !strings.Contains(series, `result="ok"`) {
			n += v
		}
	}
	return n
}

// closeConns closes every connection (again, in a cleanup: harmless).
func closeConns(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// childNofile is the soft "Max open files" of pid from /proc/PID/limits.
func childNofile(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Max open files") {
			if f := strings.Fields(line); len(f) >= 5 {
				return f[3]
			}
		}
	}
	t.Fatalf("no Max open files line in /proc/%d/limits:\n%s", pid, b)
	return ""
}

// metricSoon scrapes url until series is present (the FD watcher reports
// on its first count), within the bound.
func metricSoon(t *testing.T, url, series string, within time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		m, _ := hsuptest.Scrape(t, url)
		if v, ok := m[series]; (ok && v > 0) || time.Now().After(deadline) {
			return v
		}
		time.Sleep(100 * time.Millisecond) // the watcher's next count
	}
}
