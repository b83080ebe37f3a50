//go:build unix

package demoapp

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/reexec"
)

// child is the demo app running in a re-executed test binary.
type child struct {
	cmd    *exec.Cmd
	addr   string
	lines  chan string // stderr, line by line
	drain  sync.WaitGroup
	exited chan struct{} // closed once cmd.Wait returned, after the pipes are drained
}

func startChild(t *testing.T) *child {
	t.Helper()
	return startHelper(t, "serve", t.TempDir())
}

// startHelper starts the re-executed helper (one that serves the app and
// prints its readiness line) and waits for that line.
func startHelper(t testing.TB, helper string, args ...string) *child {
	t.Helper()
	cmd := reexec.Command(t, helper, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 4096), exited: make(chan struct{})}
	ready := make(chan string, 1)
	c.drain.Add(2)
	go c.scan(stdout, ready)
	go c.scan(stderr, c.lines)
	go func() {
		c.drain.Wait()
		_ = cmd.Wait() // the exit status is read from ProcessState
		close(c.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // no-op error once it has exited
		c.wait(t)
	})
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	select {
	case line := <-ready:
		addr, pid, ok := parseReady(line)
		if !ok || pid != cmd.Process.Pid {
			t.Fatalf("readiness line %q, want address and pid %d", line, cmd.Process.Pid)
		}
		c.addr = addr
	case <-timer.C:
		t.Fatalf("child printed no readiness line within %v", waitLimit)
	}
	return c
}

// scan sends r's lines to out, dropping them once out is full.
func (c *child) scan(r io.Reader, out chan<- string) {
	defer c.drain.Done()
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		select {
		case out <- s.Text():
		default:
		}
	}
}

// wait returns the child's exit code; the test fails if it does not exit.
func (c *child) wait(t testing.TB) int {
	t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	select {
	case <-c.exited:
		return c.cmd.ProcessState.ExitCode()
	case <-timer.C:
		_ = c.cmd.Process.Kill()
		t.Fatalf("child did not exit within %v", waitLimit)
	}
	return -1
}

func (c *child) signal(t *testing.T, s os.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(s); err != nil {
		t.Fatalf("signal %v: %v", s, err)
	}
}

func TestDumpOnSIGUSR1(t *testing.T) {
	t.Parallel()
	c := startChild(t)
	c.signal(t, syscall.SIGUSR1)
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	var header, goroutine bool
	for !header || !goroutine {
		select {
		case line := <-c.lines:
			header = header || strings.Contains(line, "goroutine dump of pid")
			goroutine = goroutine || strings.HasPrefix(line, "goroutine ")
		case <-timer.C:
			t.Fatalf("no goroutine dump on stderr within %v", waitLimit)
		}
	}
	if resp, body := fresh(t, http.MethodGet, "http://"+c.addr+"/health"); resp.StatusCode != http.StatusOK {
		t.Errorf("after SIGUSR1: %d %s; the app must keep running", resp.StatusCode, body)
	}
	c.signal(t, syscall.SIGTERM)
	if code := c.wait(t); code != 0 {
		t.Errorf("exit code after SIGTERM %d, want 0", code)
	}
}

func TestSignalsStop(t *testing.T) {
	t.Parallel()
	for _, s := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			c := startChild(t)
			c.signal(t, s)
			if code := c.wait(t); code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
		})
	}
}

func TestCrashExitsChild(t *testing.T) {
	t.Parallel()
	c := startChild(t)
	resp, body := fresh(t, http.MethodPost, "http://"+c.addr+"/demo/crash?code=3")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"exit_code":3`) {
		t.Errorf("crash answer %d %s", resp.StatusCode, body)
	}
	if code := c.wait(t); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
}
