package hsuptest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Line is one JSON log line of hsup (zap's production encoder).
type Line map[string]any

// Msg is the line's "msg".
func (l Line) Msg() string { s, _ := l["msg"].(string); return s }

// Str is a string field, "" when absent.
func (l Line) Str(k string) string { s, _ := l[k].(string); return s }

// Int is a numeric field, -1 when absent.
func (l Line) Int(k string) int {
	if f, ok := l[k].(float64); ok {
		return int(f)
	}
	return -1
}

// Proc is a running hsup. Its stderr is parsed into Lines; stdout is kept.
type Proc struct {
	Cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []Line
	raw    bytes.Buffer // non-JSON stderr lines
	stdout bytes.Buffer
	race   raceReport    // written only by the stderr reader; see checkRace
	notify chan struct{} // pulsed on each new line
	done   chan struct{}
	code   int
}

// Start runs hsup with args (and extra "K=V" env entries); pass
// --log-format=json yourself for run/demo. The process is killed (SIGKILL)
// in t.Cleanup if still running, and the test fails if hsup's race
// detector reported a data race.
func Start(t testing.TB, args []string, env ...string) *Proc {
	t.Helper()
	return startCmd(t, exec.Command(Binary(t), args...), env)
}

// startCmd starts cmd with env added, parsing its stderr into Lines.
func startCmd(t testing.TB, cmd *exec.Cmd, env []string) *Proc {
	t.Helper()
	cmd.Env = append(append(os.Environ(), raceEnv()), env...)
	if slices.Contains(cmd.Args[1:], "run") || slices.Contains(cmd.Args[1:], "demo") {
		// Each supervising hsup gets a state directory of its own (a test
		// may pass another): the service lock must not make tests wait on
		// each other.
		cmd.Env = slices.Insert(cmd.Env, len(cmd.Env)-len(env), "HSUP_STATE_DIR="+t.TempDir())
	}
	p := &Proc{Cmd: cmd, notify: make(chan struct{}, 1), done: make(chan struct{})}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = &lockedWriter{mu: &p.mu, w: &p.stdout}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.read(stderr)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		p.checkRace(t)
	})
	return p
}

func (p *Proc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l Line
		p.mu.Lock()
		if json.Unmarshal(sc.Bytes(), &l) == nil {
			p.lines = append(p.lines, l)
		} else {
			p.raw.Write(sc.Bytes())
			p.raw.WriteByte('\n')
			p.race.feed(sc.Bytes())
		}
		p.mu.Unlock()
		p.pulse()
	}
	p.code = exitCode(p.Cmd.Wait())
	close(p.done)
	p.pulse()
}

func (p *Proc) pulse() {
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

// Lines returns a copy of the log lines so far.
func (p *Proc) Lines() []Line {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Line(nil), p.lines...)
}

// Stdout and RawStderr return what hsup wrote that was not a JSON log line.
func (p *Proc) Stdout() string { p.mu.Lock(); defer p.mu.Unlock(); return p.stdout.String() }

// RawStderr is stderr that did not parse as a JSON log line.
func (p *Proc) RawStderr() string { p.mu.Lock(); defer p.mu.Unlock(); return p.raw.String() }

// WaitLine waits, up to timeout, for the first line at index >= from for
// which match is true, and returns it with its index. It fails the test on
// timeout or when hsup exits first.
func (p *Proc) WaitLine(t testing.TB, from int, timeout time.Duration, what string, match func(Line) bool) (Line, int) {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		lines := p.Lines()
		for i := from; i < len(lines); i++ {
			if match(lines[i]) {
				return lines[i], i
			}
		}
		select {
		case <-p.notify:
		case <-p.done:
			if len(p.Lines()) == len(lines) {
				t.Fatalf("hsup exited (code %d) before %s; stderr:\n%s", p.code, what, p.dump())
			}
		case <-timer.C:
			t.Fatalf("timed out after %v waiting for %s; log:\n%s", timeout, what, p.dump())
		}
	}
}

// State matches the supervisor's "child <state>" log line.
func State(state string) func(Line) bool {
	return func(l Line) bool { return l.Msg() == "child "+state }
}

// Wait waits, up to timeout, for hsup to exit and returns its exit code.
func (p *Proc) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.code
	case <-timer.C:
		t.Fatalf("hsup did not exit within %v; log:\n%s", timeout, p.dump())
	}
	return -1
}

// Signal sends sig to hsup itself (a process this test started).
func (p *Proc) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal hsup: %v", err)
	}
}

func (p *Proc) dump() string {
	var b bytes.Buffer
	for _, l := range p.Lines() {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	b.WriteString(p.RawStderr())
	return b.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
