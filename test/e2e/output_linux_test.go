//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// The outflood helper writes MIB MiB to stdout (and to stderr with
// "both"), then writes the time (Unix ns) to STAMP (unless "-") and exits
// CODE: a child that talks a lot and then crashes.
//
//	outflood STAMP MIB CODE [both]
//
// The partial-lines helper writes a line without its newline to stderr,
// waits, then a line to stdout, a JSON object line and a line of invalid
// UTF-8 to stderr, and ends with "bye" (no newline) on stdout; it exits 0.
func init() {
	reexec.Register("outflood", outFlood)
	reexec.Register("partial-lines", partialLines)
}

func outFlood(args ...string) int {
	if len(args) < 3 {
		return 2
	}
	mib, err1 := strconv.Atoi(args[1])
	code, err2 := strconv.Atoi(args[2])
	if err1 != nil || err2 != nil {
		return 2
	}
	outs := []*os.File{os.Stdout}
	if len(args) > 3 && args[3] == "both" {
		outs = append(outs, os.Stderr)
	}
	line := append(bytes.Repeat([]byte("flood "), 1023/6), '\n')
	for _, out := range outs {
		for n := 0; n < mib<<20; n += len(line) {
			if _, err := out.Write(line); err != nil {
				return 4
			}
		}
	}
	if args[0] != "-" {
		if err := os.WriteFile(args[0], []byte(strconv.FormatInt(time.Now().UnixNano(), 10)), 0o600); err != nil {
			return 5
		}
	}
	return code
}

func partialLines(...string) int {
	os.Stderr.WriteString("loading model: 10%..")
	time.Sleep(400 * time.Millisecond) // past hsup's 100 ms wait for the rest of a line
	os.Stdout.WriteString("ready\n")
	os.Stderr.WriteString(`{"msg":"helper said","n":1}` + "\n")
	os.Stderr.WriteString("bad \xff byte\n")
	os.Stdout.WriteString("bye")
	return 0
}

// bare is an hsup whose stdout and stderr are files the test chose.
type bare struct {
	cmd  *exec.Cmd
	done chan struct{}
	code int
}

// startBare runs the real hsup with args, its stdout and stderr on the
// given files (closed here once hsup has them); it is killed in t.Cleanup.
func startBare(t *testing.T, stdout, stderr *os.File, args []string, env ...string) *bare {
	t.Helper()
	b := &bare{done: make(chan struct{})}
	b.cmd = exec.Command(hsuptest.Binary(t), args...)
	b.cmd.Env = append(append(os.Environ(), "HSUP_STATE_DIR="+t.TempDir(), "GORACE=atexit_sleep_ms=0"), env...)
	b.cmd.Stdout, b.cmd.Stderr = stdout, stderr
	err := b.cmd.Start()
	_ = stdout.Close()
	if stderr != stdout {
		_ = stderr.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		err := b.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			b.code = ee.ExitCode()
			if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
				b.code = 128 + int(ws.Signal())
			}
		default:
			b.code = -1
		}
		close(b.done)
	}()
	t.Cleanup(func() { _ = b.cmd.Process.Kill(); <-b.done })
	return b
}

// stopWithin sends SIGTERM and fails the test unless hsup exits within
// bound; it returns how long the exit took.
func (b *bare) stopWithin(t *testing.T, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(bound)
	defer timer.Stop()
	select {
	case <-b.done:
		return time.Since(start)
	case <-timer.C:
		t.Fatalf("hsup did not exit within %v of SIGTERM", bound)
		return 0
	}
}

// pipe returns a pipe whose read end is closed in t.Cleanup.
func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, w
}

// stamped is a line and when the test read it.
type stamped struct {
	at   time.Time
	line string
}

// readLines sends each line read from r, stamped, until EOF.
func readLines(r *os.File) <-chan stamped {
	ch := make(chan stamped, 1024)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			ch <- stamped{time.Now(), sc.Text()}
		}
	}()
	return ch
}

// TestStalledStdoutNeverHoldsTheChild: hsup's stdout is a pipe nobody
// reads (a paused terminal, a stuck log shipper). The child writes 10 MiB
// to it and exits 3: hsup sees the exit at once (before the fix it never
// did, cmd.Wait waiting on the output copy blocked in the write), counts
// what it dropped, and a SIGTERM still ends it within a bound.
func TestStalledStdoutNeverHoldsTheChild(t *testing.T) {
	t.Parallel()
	const (
		exitSeenBound = 2 * time.Second
		stopBound     = 5 * time.Second
	)
	_, stalled := pipe(t) // never read
	logR, logW := pipe(t)
	stamp := filepath.Join(t.TempDir(), "exited-at")
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
	cmd, env := helperCmd(t, "outflood", stamp, "10", "3")
	args := append([]string{"run", "--log-format=console", "--metrics-addr=" + metricsAddr, "--diag-dir=" + t.TempDir(),
		"--health-url=", "--backoff-min=10s", "--backoff-max=10s"}, cmd...)
	b := startBare(t, stalled, logW, args, env)
	lines := readLines(logR)

	var log strings.Builder
	exited := regexp.MustCompile(`\tchild exited\t.*"code": 3`)
	timer := time.NewTimer(lineWait)
	defer timer.Stop()
	var seen time.Time
	for seen.IsZero() {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("hsup's log ended before \"child exited\":\n%s", log.String())
			}
			log.WriteString(l.line + "\n")
			if exited.MatchString(l.line) {
				seen = l.at
			}
		case <-timer.C:
			t.Fatalf("no \"child exited\" with code 3 within %v of the start; log:\n%s", lineWait, log.String())
		}
	}
	raw, err := os.ReadFile(stamp)
	if err != nil {
		t.Fatalf("the child left no exit stamp: %v", err)
	}
	ns, _ := strconv.ParseInt(string(raw), 10, 64)
	took := seen.Sub(time.Unix(0, ns))
	t.Logf("\"child exited\" logged %v after the child's exit, its 10 MiB of stdout to a stalled pipe", took.Round(time.Millisecond))
	if took > exitSeenBound {
		t.Errorf("\"child exited\" came %v after the exit, want within %v", took, exitSeenBound)
	}
	_, body := hsuptest.Get(t, "http://"+metricsAddr+"/metrics")
	m := regexp.MustCompile(`(?m)^hsup_output_dropped_bytes_total\{[^}]*stream="stdout"[^}]*\} (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Errorf("no hsup_output_dropped_bytes_total for stdout in:\n%s", body)
	} else if v, _ := strconv.ParseFloat(m[1], 64); v < 8<<20 {
		t.Errorf("hsup_output_dropped_bytes_total{stream=stdout} = %v, want most of the 10 MiB", v)
	} else {
		t.Logf("dropped %.1f MiB of the child's stdout", v/(1<<20))
	}
	stop := b.stopWithin(t, stopBound)
	t.Logf("hsup exited %v after SIGTERM (code %d)", stop.Round(time.Millisecond), b.code)
}

// TestStalledStderrNeverHoldsTheLoop: hsup's stderr (its JSON log, and
// the child's output as records) is a pipe nobody reads. The loop never
// waits on it: /healthz?live=1 stays 200, the child that floods and exits
// 3 is restarted again and again, and SIGTERM ends hsup within a bound.
func TestStalledStderrNeverHoldsTheLoop(t *testing.T) {
	t.Parallel()
	const (
		wantRestarts = 3
		stopBound    = 5 * time.Second
	)
	_, stalledOut := pipe(t)
	_, stalledErr := pipe(t)
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
	cmd, env := helperCmd(t, "outflood", "-", "4", "3", "both")
	args := append(runArgs(t, "--metrics-addr="+metricsAddr, "--log-level=debug"), cmd...)
	b := startBare(t, stalledOut, stalledErr, args, env)

	deadline := time.Now().Add(lineWait)
	var restarts, lives int
	for restarts < wantRestarts {
		if time.Now().After(deadline) {
			t.Fatalf("%d restarts within %v, want %d (liveness answered 200 %d times)", restarts, lineWait, wantRestarts, lives)
		}
		code, body := hsuptest.Get(t, "http://"+metricsAddr+"/healthz?live=1")
		switch {
		case code == 200:
			lives++
		case code == 0: // not listening yet
		default:
			t.Fatalf("/healthz?live=1 = %d %s: the loop did not turn", code, body)
		}
		if code == 0 {
			time.Sleep(20 * time.Millisecond) // polling a port: no event to wait on
			continue
		}
		_, body = hsuptest.Get(t, "http://"+metricsAddr+"/healthz")
		var h struct{ Restarts int }
		if err := json.Unmarshal([]byte(body), &h); err != nil {
			t.Fatalf("/healthz body %q: %v", body, err)
		}
		restarts = h.Restarts
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d restarts with hsup's stderr stalled; /healthz?live=1 answered 200 all %d times", restarts, lives)
	stop := b.stopWithin(t, stopBound)
	t.Logf("hsup exited %v after SIGTERM (code %d)", stop.Round(time.Millisecond), b.code)
}

// TestJSONLogHoldsOnlyJSON: with --log-format=json, every line hsup
// writes parses as JSON, the child's output included: each of its lines
// is a "child output" record, a line the child left without its newline
// is a partial record of its own (not glued to hsup's next line), a line
// the child wrote as a JSON object is kept, invalid UTF-8 is replaced.
// Merged (2>&1, one pipe) and apart (hsup's stdout then carries the
// child's stdout records).
func TestJSONLogHoldsOnlyJSON(t *testing.T) {
	t.Parallel()
	for _, merged := range []bool{true, false} {
		name := map[bool]string{true: "2>&1", false: "apart"}[merged]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			errR, errW := pipe(t)
			outR, outW := errR, errW
			if !merged {
				outR, outW = pipe(t)
			}
			cmd, env := helperCmd(t, "partial-lines")
			args := append(runArgs(t, "--restart=never"), cmd...)
			b := startBare(t, outW, errW, args, env)
			lines := readLines(errR)
			var outLines <-chan stamped // nil (never ready) when merged
			if !merged {
				outLines = readLines(outR)
			}
			timer := time.NewTimer(exitWait)
			defer timer.Stop()
			var recs []map[string]any
			for lines != nil || outLines != nil {
				var l stamped
				var ok bool
				select {
				case l, ok = <-lines:
					if !ok {
						lines = nil
						continue
					}
				case l, ok = <-outLines:
					if !ok {
						outLines = nil
						continue
					}
					l.line = "stdout: " + l.line
				case <-timer.C:
					t.Fatalf("hsup's output did not end within %v", exitWait)
				}
				line := strings.TrimPrefix(l.line, "stdout: ")
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Errorf("not JSON: %q", l.line)
					continue
				}
				if strings.HasPrefix(l.line, "stdout: ") {
					m["on"] = "stdout"
				}
				recs = append(recs, m)
			}
			<-b.done
			if b.code != 0 {
				t.Errorf("hsup exited %d, want the child's 0", b.code)
			}
			want := []struct {
				stream, line string
				partial      bool
			}{
				{"stderr", "loading model: 10%..", true},
				{"stdout", "ready", false},
				{"stderr", "bad \ufffd byte", false},
				{"stdout", "bye", true},
			}
			for _, w := range want {
				found := false
				for _, m := range recs {
					p, _ := m["partial"].(bool)
					if m["msg"] == "child output" && m["stream"] == w.stream && m["line"] == w.line && p == w.partial {
						found = true
						if on, _ := m["on"].(string); !merged && (on == "stdout") != (w.stream == "stdout") {
							t.Errorf("record %v came on hsup's %s, want its %s", m, map[bool]string{true: "stdout", false: "stderr"}[on == "stdout"], w.stream)
						}
					}
				}
				if !found {
					t.Errorf("no child output record {stream %s, line %q, partial %v}", w.stream, w.line, w.partial)
				}
			}
			var kept, exited bool
			for _, m := range recs {
				kept = kept || (m["msg"] == "helper said" && m["n"] == 1.0)
				exited = exited || m["msg"] == "child exited"
			}
			if !kept || !exited {
				t.Errorf("kept JSON line %v, hsup's \"child exited\" %v; want both", kept, exited)
			}
			if t.Failed() {
				for _, m := range recs {
					t.Logf("%v", m)
				}
			}
		})
	}
}
