package diagnose

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/test/reexec"
)

func TestMain(m *testing.M) {
	reexec.Main(m)
}

// register makes helper available to startChild under name; the child
// exits 0 when helper returns.
func register(name string, helper func(args ...string)) {
	reexec.Register(name, func(args ...string) int {
		helper(args...)
		return 0
	})
}

// waitStdinEOF blocks a helper until the test closes its stdin (or dies).
func waitStdinEOF() { _, _ = io.Copy(io.Discard, os.Stdin) }

// child is a running helper and the lines it printed.
type child struct {
	cmd   *exec.Cmd
	pid   int
	start time.Time
	stdin io.WriteCloser
	lines chan string
}

// startChild runs helper with args; its stdout also goes to tee when not
// nil. It is stopped and reaped in t.Cleanup.
func startChild(t *testing.T, tee io.Writer, helper string, args ...string) *child {
	t.Helper()
	cmd := reexec.Command(t, helper, args...)
	lw := reexec.NewLineWriter(64)
	c := &child{cmd: cmd, lines: lw.C}
	cmd.Stdout = lw
	if tee != nil {
		cmd.Stdout = io.MultiWriter(tee, lw)
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.pid, c.start = cmd.Process.Pid, time.Now()
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return c
}

// waitLine returns the first line starting with prefix, failing the test
// after 10 s.
func (c *child) waitLine(t *testing.T, prefix string) string {
	t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	for {
		select {
		case l := <-c.lines:
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timer.C:
			t.Fatalf("child %d printed no line starting with %q within 10s", c.pid, prefix)
		}
	}
}

// send writes a command line to the child and waits for its "ok".
func (c *child) send(t *testing.T, cmd string) {
	t.Helper()
	if _, err := fmt.Fprintln(c.stdin, cmd); err != nil {
		t.Fatal(err)
	}
	c.waitLine(t, "ok")
}

// scanCommands runs a helper's command loop over stdin until EOF.
func scanCommands(handle func(cmd string, args []string)) {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 {
			handle(f[0], f[1:])
		}
	}
}
