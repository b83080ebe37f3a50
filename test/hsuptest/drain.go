package hsuptest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
)

// Drained counts what a StartDrained hsup wrote that the test did not keep.
type Drained struct {
	Stdout atomic.Int64 // bytes of stdout, all discarded
	Stderr atomic.Int64 // bytes of stderr that were not hsup's JSON log lines
}

// StartDrained is Start for children that write a lot: it reads hsup's
// stdout and stderr as fast as they come, as a service manager would, and
// keeps only hsup's own JSON log lines (those starting with {"level").
// Everything else is counted in the returned Drained, not stored, so the
// test's memory does not grow with the child's output. It runs the plain
// build (PlainBinary): the flood tests measure hsup's memory, of which the
// race detector's shadow memory would be most.
func StartDrained(t testing.TB, args []string, env ...string) (*Proc, *Drained) {
	t.Helper()
	cmd := exec.Command(PlainBinary(t), args...)
	cmd.Env = append(append(os.Environ(), "HSUP_STATE_DIR="+t.TempDir()), env...)
	p := &Proc{Cmd: cmd, notify: make(chan struct{}, 1), done: make(chan struct{})}
	d := &Drained{}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = countWriter{&d.Stdout}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.readDrained(stderr, &d.Stderr)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		p.checkRace(t)
	})
	return p, d
}

type countWriter struct{ n *atomic.Int64 }

func (c countWriter) Write(b []byte) (int, error) {
	c.n.Add(int64(len(b)))
	return len(b), nil
}

var logPrefix = []byte(`{"level"`)

// readDrained is read for a flood: lines longer than the reader's buffer
// are counted piecewise and never parsed.
func (p *Proc) readDrained(r io.Reader, other *atomic.Int64) {
	br := bufio.NewReaderSize(r, 64<<10)
	partial := false // inside a line longer than the buffer
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			p.keepOrCount(line, partial, other)
		}
		partial = errors.Is(err, bufio.ErrBufferFull)
		if err != nil && !partial {
			break
		}
	}
	p.code = exitCode(p.Cmd.Wait())
	close(p.done)
	p.pulse()
}

func (p *Proc) keepOrCount(line []byte, partial bool, other *atomic.Int64) {
	if partial || !bytes.HasPrefix(line, logPrefix) {
		other.Add(int64(len(line)))
		if !partial {
			p.race.feed(line)
		}
		return
	}
	var l Line
	if json.Unmarshal(line, &l) != nil {
		other.Add(int64(len(line)))
		return
	}
	p.mu.Lock()
	p.lines = append(p.lines, l)
	p.mu.Unlock()
	p.pulse()
}

// exitCode is the shell's view of how hsup ended, from the error of
// exec.Cmd.Wait: 128+N for signal N, -1 when it could not be waited for.
func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	default:
		return -1
	}
}
