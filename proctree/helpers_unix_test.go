//go:build linux || darwin

package proctree

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/reexec"
)

// waitBound bounds every wait of these tests for a helper's line or exit.
const waitBound = 10 * time.Second

func init() {
	reexec.Register("block", blockHelper)
	reexec.Register("tree", treeHelper)
	reexec.Register("listen", listenHelper)
}

// blockHelper runs until its stdin reaches EOF: when the test closes it,
// or when whoever holds the other end dies.
func blockHelper(...string) int {
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// treeHelper starts two "block" grandchildren, the second in a session of
// its own (setsid), prints "pids A B", and at EOF on its stdin ends both
// (closing their stdin) and reaps them.
func treeHelper(...string) int {
	var stdins []io.Closer
	var cmds []*exec.Cmd
	for _, attr := range []*syscall.SysProcAttr{nil, {Setsid: true}} {
		cmd := nestedCmd("block")
		cmd.SysProcAttr = attr
		in, err := cmd.StdinPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "tree:", err)
			return 1
		}
		stdins, cmds = append(stdins, in), append(cmds, cmd)
	}
	fmt.Printf("pids %d %d\n", cmds[0].Process.Pid, cmds[1].Process.Pid)
	_, _ = io.Copy(io.Discard, os.Stdin)
	for i, cmd := range cmds {
		stdins[i].Close()
		_ = cmd.Wait()
	}
	return 0
}

// listenHelper listens on TCP address args[0], prints "port N", and closes
// the listener at EOF on its stdin.
func listenHelper(args ...string) int {
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		return 1
	}
	defer ln.Close()
	fmt.Printf("port %d\n", ln.Addr().(*net.TCPAddr).Port)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// nestedCmd runs helper name from inside a helper, where there is no
// testing.T for reexec.Command (the test that starts the outer helper
// marks name as used by starting it too).
func nestedCmd(name string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, reexec.Guard+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = fastExit(append(cmd.Env, reexec.Guard+"="+name))
	return cmd
}

// helperCmd is reexec.Command with fastExit.
func helperCmd(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := reexec.Command(t, name, args...)
	cmd.Env = fastExit(cmd.Env)
	return cmd
}

// fastExit keeps a -race helper from sleeping a second when it exits 0
// (the race runtime's atexit_sleep_ms), as the tree helper and its
// grandchildren do on every run.
func fastExit(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GORACE=") {
			out = append(out, kv)
		}
	}
	return append(out, "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

// helper is a running helper process in a process group of its own.
type helper struct {
	cmd   *exec.Cmd
	pid   int
	stdin io.WriteCloser
	lines chan string
	done  chan error // the result of Wait, once
}

// startHelper starts helper name in its own process group. t.Cleanup
// closes its stdin, waits up to waitBound for it to end, then kills its
// group and reaps it.
func startHelper(t *testing.T, name string, args ...string) *helper {
	t.Helper()
	cmd := helperCmd(t, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	h := &helper{cmd: cmd, done: make(chan error, 1)}
	lw := reexec.NewLineWriter(64)
	h.lines = lw.C
	cmd.Stdout = lw
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	h.stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.pid = cmd.Process.Pid
	go func() { h.done <- cmd.Wait() }()
	t.Cleanup(func() { h.stop(t) })
	return h
}

// stop closes the helper's stdin and waits for its exit, killing its
// process group if it has not ended within waitBound. It returns Wait's
// error; calling it again returns nil.
func (h *helper) stop(t *testing.T) error {
	t.Helper()
	_ = h.stdin.Close()
	timer := time.NewTimer(waitBound)
	defer timer.Stop()
	select {
	case err, ok := <-h.done:
		if ok {
			close(h.done)
		}
		return err
	case <-timer.C:
		t.Errorf("helper %d did not end within %s of EOF; killing its group", h.pid, waitBound)
		_ = syscall.Kill(-h.pid, syscall.SIGKILL)
		err := <-h.done
		close(h.done)
		return err
	}
}

// line returns the helper's next line that starts with prefix, without the
// prefix and its space, failing the test after waitBound.
func (h *helper) line(t *testing.T, prefix string) string {
	t.Helper()
	timer := time.NewTimer(waitBound)
	defer timer.Stop()
	for {
		select {
		case l := <-h.lines:
			if rest, ok := strings.CutPrefix(l, prefix+" "); ok {
				return rest
			}
		case <-timer.C:
			t.Fatalf("helper %d printed no %q line within %s", h.pid, prefix, waitBound)
		}
	}
}

// ints parses space-separated integers, failing the test on anything else.
func ints(t *testing.T, s string) []int {
	t.Helper()
	var out []int
	for f := range strings.FieldsSeq(s) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("parse %q: %v", s, err)
		}
		out = append(out, n)
	}
	return out
}
