package supervise

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"
	"go.uber.org/zap/zaptest"

	"github.com/hsup/hsup/test/reexec"
)

func init() {
	reexec.Register("sleep-until-signal", sleepUntilSignal)
	reexec.Register("ignore-sigterm", ignoreSigterm)
	reexec.Register("term-leaves-grandchild", termLeavesGrandchild)
}

// sleepUntilSignal prints its pid, ppid and pgid, then exits 42 on SIGTERM.
func sleepUntilSignal(...string) int {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	fmt.Printf("ready %d %d %d\n", os.Getpid(), os.Getppid(), syscall.Getpgrp())
	<-ch
	return 42
}

// ignoreSigterm ignores SIGTERM and waits forever. Without arguments it
// first starts a grandchild in its group ("ignore-sigterm leaf") and prints
// both pids; as the leaf it prints "leaf-ready".
func ignoreSigterm(args ...string) int {
	signal.Ignore(syscall.SIGTERM)
	if len(args) == 1 && args[0] == "leaf" {
		fmt.Println("leaf-ready")
	} else {
		fmt.Printf("ready %d %d\n", os.Getpid(), startLeaf())
	}
	select {}
}

// termLeavesGrandchild exits 0 on SIGTERM but leaves a grandchild in its
// group that ignores SIGTERM (ready only once it does).
func termLeavesGrandchild(...string) int {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	leaf := startLeaf()
	fmt.Printf("ready %d %d\n", os.Getpid(), leaf)
	<-ch
	return 0
}

// helperSpec is a Spec that runs helper name with args; its stdout lines
// arrive on the returned channel.
func helperSpec(t *testing.T, name string, args ...string) (Spec, <-chan string) {
	t.Helper()
	lines := reexec.NewLineWriter(64)
	return Spec{
		Path:   os.Args[0],
		Args:   append([]string{os.Args[0]}, args...),
		Env:    append(os.Environ(), reexec.Env(t, name)),
		Stdout: lines,
		Stderr: os.Stderr,
	}, lines.C
}

// startLeaf runs, from inside a helper, "ignore-sigterm leaf" in the
// helper's process group and returns its pid once it ignores SIGTERM.
func startLeaf() int {
	cmd := exec.Command(os.Args[0], "leaf")
	cmd.Env = append(os.Environ(), reexec.Guard+"=ignore-sigterm")
	out, err := cmd.StdoutPipe()
	if err != nil {
		os.Exit(3)
	}
	if err := cmd.Start(); err != nil {
		os.Exit(3)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "leaf-ready\n" {
		os.Exit(4)
	}
	return cmd.Process.Pid
}

type realRun struct {
	sup    *Supervisor
	events chan Event
	code   chan int
	cancel context.CancelFunc
}

func runReal(t *testing.T, spec Spec, mod func(*Config)) *realRun {
	t.Helper()
	r := &realRun{events: make(chan Event, 100), code: make(chan int, 1)}
	cfg := Config{
		Spec: spec, StopSignal: syscall.SIGTERM, StopGrace: 5 * time.Second,
		Backoff: BackoffPolicy{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond, Reset: time.Minute},
		Log:     zaptest.NewLogger(t), OnEvent: func(e Event) { r.events <- e },
	}
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.sup = New(cfg)
	go func() {
		code, err := r.sup.Run(ctx)
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		r.code <- code
	}()
	t.Cleanup(func() {
		cancel()
		timer := time.NewTimer(2 * wait)
		defer timer.Stop()
		select {
		case <-r.sup.quit:
		case <-timer.C:
			t.Error("supervisor did not stop")
		}
	})
	return r
}

func fields(t *testing.T, lines <-chan string) []int {
	t.Helper()
	line := recv(t, lines, "child ready line")
	var out []int
	for _, f := range strings.Fields(line)[1:] {
		var n int
		if _, err := fmt.Sscan(f, &n); err != nil {
			t.Fatalf("bad ready line %q", line)
		}
		out = append(out, n)
	}
	return out
}

func TestRealChildIsDirectChildInOwnGroup(t *testing.T) {
	spec, lines := helperSpec(t, "sleep-until-signal")
	runReal(t, spec, nil)
	f := fields(t, lines)
	pid, ppid, pgrp := f[0], f[1], f[2]
	if ppid != os.Getpid() {
		t.Fatalf("child's parent is %d, want the supervisor %d (no double-fork)", ppid, os.Getpid())
	}
	if pgrp != pid {
		t.Fatalf("child's process group is %d, want its own %d", pgrp, pid)
	}
}

func TestRealStopReachesStoppedChild(t *testing.T) {
	spec, lines := helperSpec(t, "sleep-until-signal")
	r := runReal(t, spec, nil)
	pid := fields(t, lines)[0]
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	r.cancel()
	if code := recv(t, r.code, "exit"); code != 42 {
		t.Fatalf("Run returned %d, want the child's own 42 (it handled SIGTERM after SIGCONT)", code)
	}
}

func TestRealGroupKilledAfterGrace(t *testing.T) {
	spec, lines := helperSpec(t, "ignore-sigterm")
	r := runReal(t, spec, func(c *Config) { c.StopGrace = 200 * time.Millisecond })
	f := fields(t, lines)
	r.cancel()
	if code := recv(t, r.code, "exit"); code != 137 {
		t.Fatalf("Run returned %d, want 137 (SIGKILL after grace)", code)
	}
	for _, pid := range f {
		waitGone(t, pid)
	}
}

func TestRealGroupKilledWhenChildExitsFirst(t *testing.T) {
	spec, lines := helperSpec(t, "term-leaves-grandchild")
	spec.Env = append(spec.Env, "GORACE=atexit_sleep_ms=0") // exit at once, well inside the grace
	r := runReal(t, spec, func(c *Config) { c.StopGrace = time.Minute })
	f := fields(t, lines)
	r.cancel()
	if code := recv(t, r.code, "exit"); code != 0 {
		t.Fatalf("Run returned %d, want the child's own 0", code)
	}
	waitGone(t, f[1]) // the grandchild ignored SIGTERM; the group kill got it
}

// waitGone waits, bounded, until pid no longer runs (gone or a zombie
// awaiting its new parent's wait).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		p, err := procfs.NewProc(pid)
		if err != nil {
			return
		}
		if st, err := p.Stat(); err != nil || st.State == "Z" {
			return
		}
		runtimeYield()
	}
	t.Fatalf("pid %d still running after the stop", pid)
}

func TestRealKill9Restarts(t *testing.T) {
	spec, lines := helperSpec(t, "sleep-until-signal")
	r := runReal(t, spec, nil)
	first := fields(t, lines)[0]
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	second := fields(t, lines)[0]
	if second == first {
		t.Fatal("no new child")
	}
	var exit ChildExited
	for e := range r.events {
		if ex, ok := e.(ChildExited); ok && ex.Pid == first {
			exit = ex
			break
		}
	}
	if exit.Code != 137 || exit.Reason != ReasonExit {
		t.Fatalf("exit event %+v, want pid %d exit 137 reason exit", exit, first)
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	noexec := dir + "/noexec"
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, program string
		code          int
		want          string
	}{
		{name: "missing", program: dir + "/missing", code: 127, want: "not found: give an absolute path or put it on PATH"},
		{name: "missing on PATH", program: "hsup-no-such-program", code: 127, want: "not found"},
		{name: "not executable", program: noexec, code: 126, want: "chmod +x"},
		{name: "a directory", program: dir, code: 126, want: fmt.Sprintf("program %q is a directory: give the path of the program file", dir)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(tt.program)
			se, ok := err.(*StartError)
			if !ok || se.Code != tt.code || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Resolve(%q) = %v, want StartError code %d saying %q", tt.program, err, tt.code, tt.want)
			}
		})
	}
	if p, err := Resolve("sh"); err != nil || !strings.HasPrefix(p, "/") {
		t.Fatalf("Resolve(sh) = %q, %v", p, err)
	}
}
