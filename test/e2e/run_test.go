//go:build linux

// The process tests rely on Linux: prlimit, unshare, /proc and the
// parent-death signal.

package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
)

// waitGone polls /proc until pid is gone or a zombie (its parent's business).
func waitGone(t *testing.T, pid int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := procState(pid)
		if st == "" || st == "Z" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still alive (state %s) after %v", pid, st, timeout)
		}
		time.Sleep(20 * time.Millisecond) // polling /proc: there is no event to wait on
	}
}

func TestNofile(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	want := uint64(4096)
	if lim.Max < want {
		want = lim.Max
	}
	cases := []struct {
		name    string
		hard    uint64
		want    uint64
		clamped bool
	}{
		{name: "raised to 4096", hard: lim.Max, want: want, clamped: lim.Max < 4096},
		{name: "clamped to a lower hard limit", hard: 1024, want: 1024, clamped: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := runArgs(t, "--restart=never", "--", "/bin/sh", "-c", `grep "Max open files" /proc/self/limits >&2`)
			p := hsuptest.StartWrapped(t, []string{"prlimit", "--nofile=256:" + strconv.FormatUint(c.hard, 10)}, args)
			if code := p.Wait(t, exitWait); code != 0 {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, p.RawStderr())
			}
			// In JSON mode the child's output is a record of hsup's log.
			var limits string
			for _, l := range p.Lines() {
				if l.Msg() == "child output" && l.Str("stream") == "stderr" {
					limits = l.Str("line")
				}
			}
			f := strings.Fields(limits)
			if len(f) < 5 || f[3] != strconv.FormatUint(c.want, 10) {
				t.Fatalf("child limits line %q, want soft %d; log:\n%v", limits, c.want, p.Lines())
			}
			var warns int
			for _, l := range p.Lines() {
				if l.Str("level") == "warn" && strings.Contains(l.Msg(), "RLIMIT_NOFILE") {
					warns++
				}
			}
			if c.clamped && warns != 1 {
				t.Errorf("%d clamp warnings, want exactly 1; log:\n%v", warns, p.Lines())
			}
			if !c.clamped && warns != 0 {
				t.Errorf("%d RLIMIT_NOFILE warnings, want none", warns)
			}
		})
	}
}

func TestChildIsDirectAndTermReachesIt(t *testing.T) {
	for _, stopped := range []bool{false, true} {
		t.Run("stopped="+strconv.FormatBool(stopped), func(t *testing.T) {
			t.Parallel()
			cmd, env := helperCmd(t, "wait-term", "42")
			p := hsuptest.Start(t, runArgs(t, cmd...), env)
			l := ready(p, t)
			if got := l.Int("ppid"); got != p.Cmd.Process.Pid {
				t.Errorf("child's ppid %d, want hsup's pid %d (no double fork)", got, p.Cmd.Process.Pid)
			}
			if l.Str("supervised") != "1" {
				t.Errorf("child's HSUP_SUPERVISED=%q, want 1", l.Str("supervised"))
			}
			if stopped {
				// hsup's child, which this test started through hsup.
				if err := syscall.Kill(l.Int("pid"), syscall.SIGSTOP); err != nil {
					t.Fatal(err)
				}
			}
			p.Signal(t, syscall.SIGTERM)
			if code := p.Wait(t, exitWait); code != 42 {
				t.Fatalf("hsup exit %d, want the child's 42", code)
			}
		})
	}
}

func TestStopGraceKillsGroup(t *testing.T) {
	t.Parallel()
	cmd, env := helperCmd(t, "ignore-term")
	p := hsuptest.Start(t, runArgs(t, append([]string{"--stop-grace=500ms"}, cmd...)...), env)
	l := ready(p, t)
	start := time.Now()
	p.Signal(t, syscall.SIGTERM)
	if code := p.Wait(t, exitWait); code != 137 {
		t.Fatalf("hsup exit %d, want 137", code)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("hsup exited after %v, before --stop-grace=500ms", d)
	}
	waitGone(t, l.Int("pid"), 5*time.Second)
	waitGone(t, l.Int("grandchild"), 5*time.Second)
}

func TestKill9ChildRestarts(t *testing.T) {
	t.Parallel()
	cmd, env := helperCmd(t, "wait-term", "0")
	p := hsuptest.Start(t, runArgs(t, cmd...), env)
	first := ready(p, t)
	_, from := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
	if err := syscall.Kill(first.Int("pid"), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	b, i := p.WaitLine(t, from, lineWait, "child backoff", hsuptest.State("backoff"))
	if b.Str("reason") != "exit" || b.Int("exit_code") != 137 {
		t.Errorf("backoff line %v, want reason exit, exit_code 137", b)
	}
	s, _ := p.WaitLine(t, i, lineWait, "child starting again", hsuptest.State("starting"))
	if s.Int("pid") == first.Int("pid") || s.Int("pid") <= 0 {
		t.Errorf("restarted pid %d, want a new one (old %d)", s.Int("pid"), first.Int("pid"))
	}
	p.WaitLine(t, i, lineWait, "the new child's ready line", func(l hsuptest.Line) bool {
		return l.Msg() == "helper ready" && l.Int("pid") == s.Int("pid")
	})
}

func TestKill9HsupKillsChild(t *testing.T) {
	t.Parallel()
	cmd, env := helperCmd(t, "wait-term", "0")
	p := hsuptest.Start(t, runArgs(t, cmd...), env)
	l := ready(p, t)
	p.Signal(t, syscall.SIGKILL)
	p.Wait(t, exitWait)
	waitGone(t, l.Int("pid"), 5*time.Second)
}

func TestPID1(t *testing.T) {
	cases := []struct {
		name   string
		helper string
		args   []string
		want   int
	}{
		{name: "orphans are reaped", helper: "orphans", want: 0},
		{name: "exit status comes through", helper: "exit", args: []string{"7"}, want: 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cmd, env := helperCmd(t, c.helper, c.args...)
			wrap := []string{"unshare", "--pid", "--fork", "--kill-child", "--mount-proc"}
			p := hsuptest.StartWrapped(t, wrap, runArgs(t, append([]string{"--restart=never"}, cmd...)...), env)
			if code := p.Wait(t, 30*time.Second); code != c.want {
				t.Fatalf("exit %d, want %d; log:\n%v\n%s", code, c.want, p.Lines(), p.RawStderr())
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		flags []string
		prog  []string
		code  int
		names string // the stderr line must mention this
	}{
		{name: "missing program", prog: []string{filepath.Join(dir, "missing")}, code: 127, names: "not found"},
		{name: "not executable", prog: []string{noexec}, code: 126, names: "noexec"},
		{name: "bad restart", flags: []string{"--restart=sometimes"}, code: 2, names: "sometimes"},
		{name: "negative duration", flags: []string{"--stop-grace=-1s"}, code: 2, names: "--stop-grace"},
		{name: "malformed health url", flags: []string{"--health-url=http//nohost"}, code: 2, names: "--health-url"},
		{name: "unknown flag", flags: []string{"--no-such-flag"}, code: 2, names: "no-such-flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			marker := filepath.Join(t.TempDir(), "started")
			prog := c.prog
			if prog == nil {
				prog = []string{"/bin/sh", "-c", "touch " + marker}
			}
			args := append(append(runArgs(t, "--restart=never"), c.flags...), "--")
			p := hsuptest.Start(t, append(args, prog...))
			if code := p.Wait(t, exitWait); code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			raw := strings.TrimRight(p.RawStderr(), "\n")
			if n := len(p.Lines()); n != 0 || strings.Count(raw, "\n") != 0 || !strings.Contains(raw, c.names) {
				t.Errorf("stderr: %d log lines and %q; want exactly one line naming %q", n, raw, c.names)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("the program ran (marker %s exists)", marker)
			}
		})
	}
}
