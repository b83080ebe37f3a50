package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// logLine is one JSON log line of hsup with the time bench received it.
// Bench times events by receive time (monotonic clock), not by the "ts"
// field, whose ISO8601 encoding only has millisecond resolution.
type logLine struct {
	at     time.Time
	fields map[string]any
}

func (l logLine) msg() string { return l.str("msg") }

func (l logLine) str(k string) string { s, _ := l.fields[k].(string); return s }

// num is a numeric field, -1 when absent.
func (l logLine) num(k string) float64 {
	if f, ok := l.fields[k].(float64); ok {
		return f
	}
	return -1
}

func (l logLine) pid() int { return int(l.num("pid")) }

// hsupProc is one running hsup whose stderr is parsed as it arrives.
type hsupProc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []logLine
	raw    []string      // last non-JSON stderr lines, for error messages
	notify chan struct{} // pulsed on every new line
	done   chan struct{} // closed once hsup has exited and been waited for
	err    error         // hsup's exit, valid after done

	stateDir string // hsup's own HSUP_STATE_DIR
}

// startHsup runs bin with args; env entries replace os.Environ when non-nil.
// Each hsup gets its own state directory (HSUP_STATE_DIR, removed by
// stop), so hsups side by side, or another user's, never meet on the
// one-hsup-per-name lock.
func startHsup(bin string, args, env []string) (*hsupProc, error) {
	stateDir, err := os.MkdirTemp("", "hsup-bench-state-")
	if err != nil {
		return nil, fmt.Errorf("make hsup's state directory: %w", err)
	}
	if env == nil {
		env = os.Environ()
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(env[:len(env):len(env)], "HSUP_STATE_DIR="+stateDir)
	p := &hsupProc{cmd: cmd, stateDir: stateDir, notify: make(chan struct{}, 1), done: make(chan struct{})}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		_ = os.RemoveAll(stateDir)
		return nil, fmt.Errorf("hsup stderr pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(stateDir)
		return nil, fmt.Errorf("start %s: %w; is the build intact?", bin, err)
	}
	go p.read(stderr) // ends when hsup exits; stop waits for done
	return p, nil
}

func (p *hsupProc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := logLine{at: time.Now()}
		p.mu.Lock()
		if json.Unmarshal(sc.Bytes(), &l.fields) == nil {
			p.lines = append(p.lines, l)
		} else {
			p.raw = append(p.raw, sc.Text())
			if len(p.raw) > 20 {
				p.raw = p.raw[1:]
			}
		}
		p.mu.Unlock()
		p.pulse()
	}
	p.err = p.cmd.Wait()
	close(p.done)
}

func (p *hsupProc) pulse() {
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

func (p *hsupProc) snapshot() []logLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]logLine(nil), p.lines...)
}

// waitLine waits up to timeout for the first line at index >= from that
// matches, and returns it with its index.
func (p *hsupProc) waitLine(ctx context.Context, from int, timeout time.Duration, what string, match func(logLine) bool) (logLine, int, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		lines := p.snapshot()
		for i := from; i < len(lines); i++ {
			if match(lines[i]) {
				return lines[i], i, nil
			}
		}
		select {
		case <-p.notify:
		case <-p.done:
			if len(p.snapshot()) == len(lines) {
				return logLine{}, 0, fmt.Errorf("hsup exited (%v) before %s; last stderr: %s", p.err, what, p.tail())
			}
		case <-timer.C:
			return logLine{}, 0, fmt.Errorf("no %s within %v; last stderr: %s", what, timeout, p.tail())
		case <-ctx.Done():
			return logLine{}, 0, fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
}

func (p *hsupProc) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, l := range p.lines[max(0, len(p.lines)-3):] {
		j, _ := json.Marshal(l.fields)
		b.Write(j)
		b.WriteByte('\n')
	}
	b.WriteString(strings.Join(p.raw, "\n"))
	return b.String()
}

// stop sends SIGTERM and waits; after 15 s it sends SIGKILL and waits
// again. Then it removes hsup's state directory.
func (p *hsupProc) stop() {
	defer os.RemoveAll(p.stateDir)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(15 * time.Second)
	defer timer.Stop()
	select {
	case <-p.done:
		return
	case <-timer.C:
	}
	fmt.Fprintf(os.Stderr, "bench: hsup (pid %d) did not exit within 15s of SIGTERM; killing it\n", p.cmd.Process.Pid)
	_ = p.cmd.Process.Kill()
	<-p.done
}

// state matches "child <state>"; pid > 0 also requires that pid, pid < 0
// requires any pid but -pid.
func state(name string, pid int) func(logLine) bool {
	return func(l logLine) bool {
		if l.msg() != "child "+name {
			return false
		}
		switch {
		case pid > 0:
			return l.pid() == pid
		case pid < 0:
			return l.pid() != -pid
		}
		return true
	}
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
