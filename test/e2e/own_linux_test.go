//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// The chatter helper is a child that writes a lot: it serves /health on
// ADDR (200, {"status":"ok","pid":N}) and writes a line to STREAM (stdout
// or stderr) every 20 ms until SIGTERM, then exits 0.
//
//	chatter ADDR stdout|stderr
func init() { reexec.Register("chatter", ownChatter) }

func ownChatter(args ...string) int {
	if len(args) != 2 {
		return 2
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		say("helper failed", "error", err.Error())
		return 1
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"ok","pid":%d}`, os.Getpid())
	})
	go func() { _ = http.Serve(ln, mux) }()
	out := os.Stdout
	if args[1] == "stderr" {
		out = os.Stderr
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-term:
			return 0
		case <-tick.C:
			_, _ = fmt.Fprintf(out, "chatter %d\n", n)
		}
	}
}

// TestSecondHsupSameNameRefused: a second hsup for a service that runs
// exits 75 with one plain line naming the first hsup's pid, and starts
// nothing; an hsup for another name in the same state directory runs.
func TestSecondHsupSameNameRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var pids []int
	var mu sync.Mutex
	killOnCleanup(t, func() []int { mu.Lock(); defer mu.Unlock(); return append([]int(nil), pids...) })

	addrA := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
	args, env := treeArgs(t, addrA, "--name=svc", "--state-dir="+dir)
	a := hsuptest.Start(t, args, env)
	treeA, _ := readyTree(t, a, 0)
	mu.Lock()
	pids = append(pids, treeA.all()...)
	mu.Unlock()
	a.WaitLine(t, 0, lineWait, "hsup A's child running", hsuptest.State("running"))

	addrB := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
	args, env = treeArgs(t, addrB, "--name=svc", "--state-dir="+dir)
	start := time.Now()
	b := hsuptest.Start(t, args, env)
	code := b.Wait(t, exitWait)
	took := time.Since(start)
	t.Logf("hsup B exited %d after %v", code, took.Round(time.Millisecond))
	if code != 75 {
		t.Fatalf("hsup B exited %d, want 75; stderr:\n%s", code, b.RawStderr())
	}
	raw := strings.TrimRight(b.RawStderr(), "\n")
	want := fmt.Sprintf(`hsup: another hsup (pid %d) runs service "svc": `, a.Cmd.Process.Pid)
	if lines := strings.Split(raw, "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
		t.Fatalf("hsup B's plain stderr = %q, want exactly one line starting %q", raw, want)
	}
	t.Logf("hsup B said: %s", raw)
	for _, l := range b.Lines() {
		if l.Msg() == "child starting" || l.Msg() == "helper ready" {
			t.Fatalf("hsup B started something: %v", l)
		}
	}
	if code, _ := hsuptest.Get(t, "http://"+addrB+"/health"); code != 0 {
		t.Fatalf("something answers on hsup B's port %s (status %d): B must start nothing", addrB, code)
	}

	addrC := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
	args, env = treeArgs(t, addrC, "--name=other", "--state-dir="+dir)
	c := hsuptest.Start(t, args, env)
	treeC, _ := readyTree(t, c, 0)
	mu.Lock()
	pids = append(pids, treeC.all()...)
	mu.Unlock()
	c.WaitLine(t, 0, lineWait, "hsup C's child running", hsuptest.State("running"))

	a.Signal(t, syscall.SIGTERM)
	c.Signal(t, syscall.SIGTERM)
	for name, p := range map[string]*hsuptest.Proc{"A": a, "C": c} {
		if code := p.Wait(t, exitWait); code != 0 {
			t.Errorf("hsup %s exited %d after SIGTERM, want 0 (its child exits 0 on SIGTERM)", name, code)
		}
	}
	gone := waitAllGone(t, append(treeA.all(), treeC.all()...), 3*time.Second)
	t.Logf("both trees gone %v after both hsups exited", gone.Round(time.Millisecond))
}

// TestRecordWithReusedPidNotTouched: a child record naming a live process
// with another start time (its pid was reused) is stale: hsup logs it and
// never signals that process.
func TestRecordWithReusedPidNotTouched(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The process the record names: the test's own, in a process group of
	// its own (so a wrong group stop could reach nothing else).
	other := reexec.Command(t, "tree", "worker")
	other.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- other.Wait() }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = other.Process.Kill()
			<-exited
		}
	})
	pid := other.Process.Pid
	pr, err := procfs.NewProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	st, err := pr.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "svc"), 0o700); err != nil {
		t.Fatal(err)
	}
	member := map[string]any{"pid": pid, "pgid": pid, "start": st.Starttime + 1, "comm": st.Comm}
	rec := map[string]any{"run_id": "0123456789abcdef", "hsup_pid": pid, "pgid": pid, "child": member,
		"members": []any{member}, "written": time.Now().Add(-time.Minute).Format(time.RFC3339Nano)}
	data, _ := json.MarshalIndent(rec, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "svc", "child.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("record names pid %d with start %d; its real start is %d", pid, st.Starttime+1, st.Starttime)

	addr := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
	args, env := treeArgs(t, addr, "--name=svc", "--state-dir="+dir)
	p := hsuptest.Start(t, args, env)
	tree, _ := readyTree(t, p, 0)
	killOnCleanup(t, tree.all)
	p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))

	select {
	case err := <-exited:
		t.Fatalf("the process the stale record names (pid %d) exited (%v): hsup signalled it; log:\n%s", pid, err, ownDump(p))
	default:
	}
	if !running(pid) {
		t.Fatalf("pid %d is not running: %s", pid, describe([]int{pid}))
	}
	var staleLine hsuptest.Line
	for _, l := range p.Lines() {
		switch {
		case l.Msg() == "recorded processes of an earlier hsup are gone, or their pids now belong to other processes: not touched":
			staleLine = l
		case strings.HasPrefix(l.Msg(), "reclaiming"), strings.HasPrefix(l.Msg(), "reclaimed"):
			t.Errorf("hsup reclaimed from a record whose start time does not match: %v", l)
		}
	}
	if staleLine == nil {
		t.Fatalf("no \"not touched\" line; log:\n%s", ownDump(p))
	}
	stale, _ := staleLine["stale"].([]any)
	named := false
	for _, s := range stale {
		if m, _ := s.(map[string]any); m != nil && m["pid"] == float64(pid) {
			named = true
		}
	}
	if !named {
		t.Fatalf("the \"not touched\" line does not name pid %d: %v", pid, staleLine)
	}
	t.Logf("hsup said: %v", staleLine)
	// The stale record is replaced by one of hsup's own child.
	deadline := time.Now().Add(lineWait)
	for {
		rec, err := childRecord(dir, "svc")
		child, _ := rec["child"].(map[string]any)
		if err == nil && child != nil && child["pid"] == float64(tree.root) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child record does not name hsup's child %d: %v %v", tree.root, rec, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a file hsup replaces: no event to wait on
	}

	p.Signal(t, syscall.SIGTERM)
	if code := p.Wait(t, exitWait); code != 0 {
		t.Errorf("hsup exited %d after SIGTERM, want 0", code)
	}
	waitAllGone(t, tree.all(), 3*time.Second)
	select {
	case err := <-exited:
		t.Fatalf("the process the stale record names (pid %d) exited (%v) while hsup stopped", pid, err)
	default:
	}
}

// TestForeignListenerIsNotTheChild: a process the test started holds the
// health port and answers 200; hsup's child never listens. No start may
// count as running, READY=1 is never sent, /healthz never says running,
// one error names the holder, and the tries are spaced by the backoff.
func TestForeignListenerIsNotTheChild(t *testing.T) {
	t.Parallel()
	addr := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
	foreign := reexec.Command(t, "tree", "server", addr)
	foreign.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := foreign.Start(); err != nil {
		t.Fatal(err)
	}
	foreignDone := make(chan struct{})
	go func() { _ = foreign.Wait(); close(foreignDone) }()
	t.Cleanup(func() { _ = foreign.Process.Kill(); <-foreignDone })
	deadline := time.Now().Add(lineWait)
	for {
		if pid, err := healthPid(t, addr); err == nil && pid == foreign.Process.Pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the foreign server on %s does not answer", addr)
		}
		time.Sleep(20 * time.Millisecond) // polling a port: no event to wait on
	}

	sockDir, err := os.MkdirTemp("/tmp", "hsn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sockPath := filepath.Join(sockDir, "n")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))

	// Watch what hsup tells the service manager and /healthz while it runs.
	var (
		mu        sync.Mutex
		datagrams []string
		healthz   = map[string]int{} // "status state" -> polls
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 4096)
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = notify.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, _, err := notify.ReadFromUnix(buf)
			if n > 0 {
				mu.Lock()
				datagrams = append(datagrams, string(buf[:n]))
				mu.Unlock()
			}
			if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				return
			}
		}
	})
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			code, body := hsuptest.Get(t, "http://"+metricsAddr+"/healthz")
			var h struct{ State string }
			_ = json.Unmarshal([]byte(body), &h)
			mu.Lock()
			healthz[fmt.Sprintf("%d %s", code, h.State)]++
			mu.Unlock()
		}
	})
	stopWatching := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWatching()

	cmd, env := helperCmd(t, "tree", "worker")
	args := runArgs(t, append([]string{"--health-url=http://" + addr + "/health", "--health-interval=200ms",
		"--health-timeout=500ms", "--health-failures=2", "--deep-url=", "--heartbeat-field=", "--stop-grace=2s",
		"--metrics-addr=" + metricsAddr, "--backoff-min=200ms", "--backoff-max=400ms"}, cmd...)...)
	p := hsuptest.Start(t, args, env, "NOTIFY_SOCKET="+sockPath, "WATCHDOG_USEC=", "WATCHDOG_PID=")
	var children []int
	killOnCleanup(t, func() []int { return children })

	const starts = 4 // the 4th start proves the 3rd try ended in a backoff
	var startTimes []time.Time
	from := 0
	for len(startTimes) < starts {
		l, i := p.WaitLine(t, from, lineWait, fmt.Sprintf("child start %d", len(startTimes)+1), hsuptest.State("starting"))
		startTimes = append(startTimes, lineTime(t, l))
		if pid := l.Int("pid"); pid > 0 {
			children = append(children, pid)
		}
		from = i + 1
	}
	stopWatching()

	lines := p.Lines()
	var backoffs, portHeld, errLines []hsuptest.Line
	for _, l := range lines {
		switch {
		case l.Msg() == "child running":
			t.Errorf("hsup said the child runs, though it never listened: %v", l)
		case l.Msg() == "child backoff":
			backoffs = append(backoffs, l)
			if l.Str("reason") == "port_held" {
				portHeld = append(portHeld, l)
			}
		}
		if strings.Contains(l.Msg(), "not from the child") {
			errLines = append(errLines, l)
		}
	}
	if len(portHeld) < 2 {
		t.Errorf("%d \"child backoff\" lines with reason port_held, want at least 2; backoffs: %v", len(portHeld), backoffs)
	}
	if len(errLines) != 1 {
		t.Errorf("%d lines saying the answer is not from the child, want exactly 1: %v", len(errLines), errLines)
	} else {
		l := errLines[0]
		if l.Str("level") != "error" || !strings.Contains(l.Str("holder"), fmt.Sprintf("pid %d ", foreign.Process.Pid)) {
			t.Errorf("the port_held line is not an error naming the foreign pid %d: %v", foreign.Process.Pid, l)
		}
		t.Logf("hsup said: %s: holder %q", l.Msg(), l.Str("holder"))
	}
	var gaps []string
	for i := 1; i < len(startTimes); i++ {
		gaps = append(gaps, startTimes[i].Sub(startTimes[i-1]).Round(time.Millisecond).String())
	}
	var delays []string
	for _, l := range backoffs {
		delays = append(delays, fmt.Sprint(l["backoff"]))
	}
	t.Logf("gaps between child starts: %v; backoff delays logged: %v", gaps, delays)

	mu.Lock()
	for _, d := range datagrams {
		if strings.Contains(d, "READY=1") {
			t.Errorf("hsup sent READY=1 on NOTIFY_SOCKET for a child that never listened: %q", d)
		}
	}
	t.Logf("NOTIFY_SOCKET datagrams: %q", datagrams)
	t.Logf("/healthz polls (status state -> count): %v", healthz)
	for k := range healthz {
		if strings.HasPrefix(k, "200 ") || strings.HasSuffix(k, " running") {
			t.Errorf("/healthz answered %q while the port was held by another process", k)
		}
	}
	mu.Unlock()
	code, body := hsuptest.Get(t, "http://"+metricsAddr+"/healthz")
	var h struct{ State string }
	if err := json.Unmarshal([]byte(body), &h); err != nil || code == 200 || h.State == "running" || code == 0 {
		t.Errorf("/healthz = %d %q, want an answer that is not 200 and not running", code, body)
	}
	t.Logf("/healthz at the end: %d %s", code, strings.TrimSpace(body))
	if !running(foreign.Process.Pid) {
		t.Errorf("the foreign server (pid %d) does not run any more: hsup must not touch it", foreign.Process.Pid)
	}

	p.Signal(t, syscall.SIGTERM)
	p.Wait(t, exitWait)
	waitAllGone(t, children, 3*time.Second)
}

// ownDump is hsup's log, for a failure message.
func ownDump(p *hsuptest.Proc) string {
	var b strings.Builder
	for _, l := range p.Lines() {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String() + p.RawStderr()
}

// TestBrokenStdoutAndStderr: a reader of hsup's output that goes away
// (`hsup run ... | head -n 3`, a log reader that quits) must not end hsup:
// it keeps supervising the same child, and a SIGTERM still stops it with
// the child's status (the chatter exits 0 on SIGTERM: 0).
func TestBrokenStdoutAndStderr(t *testing.T) {
	t.Parallel()
	t.Run("stdout", func(t *testing.T) {
		t.Parallel()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		logPath := filepath.Join(t.TempDir(), "stderr")
		logFile, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		defer logFile.Close()
		h := startOwnBare(t, "stdout", w, logFile, func() string { b, _ := os.ReadFile(logPath); return string(b) }, "--log-level=debug")
		w.Close()

		_ = r.SetReadDeadline(time.Now().Add(lineWait))
		br := bufio.NewReader(r)
		for i := 0; i < 3; i++ {
			line, err := br.ReadString('\n')
			if err != nil {
				r.Close()
				t.Fatalf("line %d of hsup's stdout: %v; log:\n%s", i+1, err, h.log())
			}
			t.Logf("stdout line %d: %q", i+1, line)
		}
		r.Close() // head -n 3 exits
		closed := time.Now()
		h.keepsSupervising(t, closed)
		// The test did break hsup's stdout: hsup caught the SIGPIPE of a
		// write to it (one line, however many writes failed), went on, and
		// counts what it dropped.
		const caught = "a reader of hsup's output went away (SIGPIPE)"
		if n := strings.Count(h.log(), caught); n != 1 {
			t.Errorf("%d %q lines, want 1; log:\n%s", n, caught, h.log())
		}

	})
	t.Run("stderr", func(t *testing.T) {
		t.Parallel()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		var (
			mu   sync.Mutex
			seen strings.Builder
		)
		h := startOwnBare(t, "stderr", nil, w, func() string { mu.Lock(); defer mu.Unlock(); return seen.String() })
		w.Close()
		isRunning := make(chan struct{})
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			defer r.Close() // the log reader goes away
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				mu.Lock()
				seen.WriteString(sc.Text() + "\n")
				mu.Unlock()
				var l hsuptest.Line
				if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg() == "child running" {
					close(isRunning)
					return
				}
			}
		}()
		t.Cleanup(func() { r.Close(); <-readerDone })
		select {
		case <-isRunning:
		case <-h.done:
			t.Fatalf("hsup exited %d before \"child running\"; stderr:\n%s", h.code, h.log())
		case <-time.After(lineWait):
			t.Fatalf("no \"child running\" within %v; stderr:\n%s", lineWait, h.log())
		}
		<-readerDone
		h.keepsSupervising(t, time.Now())
	})
}

// ownBare is an hsup started with exec.Command, its stdout and stderr where
// the test says.
type ownBare struct {
	cmd     *exec.Cmd
	metrics string
	stream  string  // the broken stream
	dropped float64 // hsup_output_dropped_bytes_total of stream, read before the stop
	done    chan struct{}
	code    int
	log     func() string
}

// startOwnBare runs hsup over the chatter helper writing to stream, with
// extra flags.
func startOwnBare(t *testing.T, stream string, stdout, stderr *os.File, log func() string, extra ...string) *ownBare {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
	h := &ownBare{metrics: fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t)), stream: stream, done: make(chan struct{}), log: log}
	cmd, env := helperCmd(t, "chatter", addr, stream)
	args := runArgs(t, append([]string{"--health-url=http://" + addr + "/health", "--health-interval=200ms",
		"--health-timeout=500ms", "--health-failures=2", "--deep-url=", "--heartbeat-field=", "--stop-grace=2s",
		"--metrics-addr=" + h.metrics}, append(extra, cmd...)...)...)
	h.cmd = exec.Command(hsuptest.Binary(t), args...)
	h.cmd.Env = append(os.Environ(), "HSUP_STATE_DIR="+t.TempDir(), "GORACE=atexit_sleep_ms=0", env)
	if stdout != nil {
		h.cmd.Stdout = stdout
	}
	h.cmd.Stderr = stderr
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := h.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			ws := ee.Sys().(syscall.WaitStatus)
			if ws.Signaled() {
				h.code = 128 + int(ws.Signal())
			} else {
				h.code = ws.ExitStatus()
			}
		default:
			h.code = -1
		}
		close(h.done)
	}()
	t.Cleanup(func() { _ = h.cmd.Process.Kill(); <-h.done })
	return h
}

// health is /healthz of the ownBare hsup: status, state and child pid.
func (h *ownBare) health(t *testing.T) (int, string, int) {
	code, body := hsuptest.Get(t, "http://"+h.metrics+"/healthz")
	var hz struct {
		State string
		PID   int
	}
	_ = json.Unmarshal([]byte(body), &hz)
	return code, hz.State, hz.PID
}

func (h *ownBare) alive(t *testing.T, what string) {
	t.Helper()
	select {
	case <-h.done:
		t.Fatalf("hsup exited %d %s (141 = killed by SIGPIPE); stderr:\n%s", h.code, what, h.log())
	default:
	}
}

// keepsSupervising checks, from closed (when the reader went away) for
// at least 2 s, that hsup stays alive and /healthz keeps saying running
// with one and the same child; then stops hsup with SIGTERM and wants 0.
func (h *ownBare) keepsSupervising(t *testing.T, closed time.Time) {
	t.Helper()
	deadline := time.Now().Add(lineWait)
	var pid int
	for {
		h.alive(t, "after its reader went away")
		if code, state, p := h.health(t); code == 200 && state == "running" && p > 0 {
			pid = p
			break
		}
		if time.Now().After(deadline) {
			code, state, _ := h.health(t)
			t.Fatalf("/healthz not running within %v: %d %q; stderr:\n%s", lineWait, code, state, h.log())
		}
		time.Sleep(50 * time.Millisecond) // polling /healthz: no event to wait on
	}
	killOnCleanup(t, func() []int { return []int{pid} })
	polls := 0
	for time.Since(closed) < 2*time.Second || polls < 2 {
		h.alive(t, "after its reader went away")
		code, state, p := h.health(t)
		if code != 200 || state != "running" || p != pid {
			t.Fatalf("/healthz %v after the reader went away: %d %q pid %d, want 200 running pid %d; stderr:\n%s",
				time.Since(closed).Round(time.Millisecond), code, state, p, pid, h.log())
		}
		polls++
		time.Sleep(250 * time.Millisecond) // polling /healthz: no event to wait on
	}
	t.Logf("hsup alive, child pid %d running, %d /healthz polls over %v after the reader went away",
		pid, polls, time.Since(closed).Round(time.Millisecond))
	samples, _ := hsuptest.Scrape(t, "http://"+h.metrics+"/metrics")
	h.dropped = samples[`hsup_output_dropped_bytes_total{stream="`+h.stream+`"}`]
	if h.dropped <= 0 {
		t.Errorf("hsup_output_dropped_bytes_total{stream=%q} = %v, want the bytes it could not write", h.stream, h.dropped)
	}
	t.Logf("hsup dropped %v bytes of its %s after the reader went away", h.dropped, h.stream)
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.done:
	case <-time.After(exitWait):
		t.Fatalf("hsup did not exit within %v of SIGTERM; stderr:\n%s", exitWait, h.log())
	}
	if h.code != 0 {
		t.Fatalf("hsup exited %d after SIGTERM, want 0 (the child's status: the chatter exits 0 on SIGTERM); stderr:\n%s",
			h.code, h.log())
	}
	waitAllGone(t, []int{pid}, 3*time.Second)
}
