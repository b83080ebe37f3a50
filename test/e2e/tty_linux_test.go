//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// stdin-reader: read standard input to its end, say what the read gave,
// then wait for SIGTERM. On a terminal, from a background process group,
// the read stops the process (SIGTTIN) instead of returning.
func init() {
	reexec.Register("stdin-reader", func(...string) int {
		n, err := io.Copy(io.Discard, os.Stdin)
		say("helper ready", "pid", os.Getpid(), "stdin_bytes", n, "stdin_err", fmt.Sprint(err))
		waitTerm()
		return 0
	})
}

// openPTY opens a pseudo-terminal pair: the master (the test types into
// it and reads what hsup prints) and the slave (hsup's terminal).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// TestChildOnATerminalIsNotStopped: hsup run interactively (a terminal
// as its stdin, in the terminal's foreground group); its child, in a
// background group, reads stdin. It gets end of file (stdin is /dev/null),
// is never stopped by SIGTTIN nor restarted, and Ctrl-C on the terminal
// stops hsup and the child cleanly (exit 0).
func TestChildOnATerminalIsNotStopped(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t)
	cmd := exec.Command(hsuptest.Binary(t), append(runArgs(t, "--state-dir="+t.TempDir()),
		"--", self(t))...)
	cmd.Env = append(os.Environ(), reexec.Env(t, "stdin-reader"), "GORACE=atexit_sleep_ms=0")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	out := &ptyReader{lines: make(chan map[string]any, 100)}
	go out.read(master)

	ready := out.wait(t, func(l map[string]any) bool { return l["msg"] == "helper ready" })
	if ready["stdin_err"] != "<nil>" || ready["stdin_bytes"] != 0.0 {
		t.Fatalf("the child's read of stdin gave %v %v, want end of file at once", ready["stdin_bytes"], ready["stdin_err"])
	}
	pid := int(ready["pid"].(float64))
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) { // a stopped child would show state T within this second
		if st := procState(pid); st == "T" || st == "t" {
			t.Fatalf("the child %d is stopped (state %s): the terminal stopped it", pid, st)
		}
		time.Sleep(20 * time.Millisecond) // polling /proc: no event to wait on
	}
	if _, err := master.Write([]byte{3}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Fatalf("hsup after Ctrl-C: %v, want exit 0 (a clean stop); output:\n%s", waitErr, out.text())
		}
	case <-time.After(exitWait):
		t.Fatalf("hsup did not exit within %v of Ctrl-C; output:\n%s", exitWait, out.text())
	}
	if n := strings.Count(out.text(), `"msg":"child starting"`); n != 1 {
		t.Errorf("%d child starts, want 1 (no restarts); output:\n%s", n, out.text())
	}
	if running(pid) {
		t.Errorf("the child %d outlived hsup's Ctrl-C stop", pid)
	}
}

// ptyReader drains the terminal (hsup blocks writing to a full one) and
// hands on the lines that are JSON records.
type ptyReader struct {
	mu    sync.Mutex
	all   strings.Builder
	lines chan map[string]any
}

func (r *ptyReader) read(master *os.File) {
	sc := bufio.NewScanner(master)
	for sc.Scan() {
		r.mu.Lock()
		r.all.WriteString(sc.Text() + "\n")
		r.mu.Unlock()
		var l map[string]any
		if json.Unmarshal(bytes.TrimSpace(sc.Bytes()), &l) == nil {
			select {
			case r.lines <- l:
			default:
			}
		}
	}
}

func (r *ptyReader) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.all.String()
}

func (r *ptyReader) wait(t *testing.T, match func(map[string]any) bool) map[string]any {
	t.Helper()
	timer := time.NewTimer(lineWait)
	defer timer.Stop()
	for {
		select {
		case l := <-r.lines:
			if match(l) {
				return l
			}
		case <-timer.C:
			t.Fatalf("no matching line within %v; output:\n%s", lineWait, r.text())
		}
	}
}
