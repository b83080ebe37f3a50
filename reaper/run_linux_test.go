//go:build linux

package reaper

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hsup/hsup/test/reexec"
)

// waitLimit bounds every wait of these tests.
const waitLimit = 30 * time.Second

func init() {
	reexec.Register("orphan", orphanHelper)
	reexec.Register("pid1", pid1Helper)
}

// waitExited blocks until child pid has exited, leaving it a zombie: the
// status stays for whoever reaps it.
func waitExited(t *testing.T, pid int) {
	t.Helper()
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			if err != nil {
				t.Fatalf("waitid(%d): %v", pid, err)
			}
			return
		}
	}
}

// TestReapOnceTakesOnlyTheUnregistered: of two exited children, one
// started through the owner and one not, a pass reaps only the second, and
// the first's status still reaches Wait.
func TestReapOnceTakesOnlyTheUnregistered(t *testing.T) {
	owned := helperCmd(t, "exit", "5")
	owned.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // like a collector
	if err := Start(owned); err != nil {
		t.Fatal(err)
	}
	stray := helperCmd(t, "exit", "0")
	if err := stray.Start(); err != nil {
		t.Fatal(err)
	}
	waitExited(t, owned.Process.Pid)
	waitExited(t, stray.Process.Pid)

	reaped := reapOnce()
	if !slices.Contains(reaped, stray.Process.Pid) || slices.Contains(reaped, owned.Process.Pid) {
		t.Errorf("reapOnce() = %v, want %d (unregistered) and not %d (registered)", reaped,
			stray.Process.Pid, owned.Process.Pid)
	}
	var ee *exec.ExitError
	if err := Wait(owned); !errors.As(err, &ee) || ee.ExitCode() != 5 {
		t.Errorf("Wait() of the registered child = %v, want exit status 5", err)
	}
	if err := stray.Wait(); err == nil {
		t.Error("the stray child's Wait succeeded: reapOnce did not reap it")
	}
	stray.Process.Release() // a failed Wait keeps the pidfd open
}

func TestRunReturnsWhenNotPID1(t *testing.T) {
	if os.Getpid() == 1 {
		t.Skip("this test process is PID 1")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(context.Background()) // never canceled: only "not PID 1" ends it
	}()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("Run did not return within %v although this process is not PID 1", waitLimit)
	}
}

// TestRunAsPID1 runs pid1Helper as PID 1 of a new pid namespace: there
// collectors in their own process groups must get their exit statuses
// while Run reaps, and the orphans' zombies must be reaped.
func TestRunAsPID1(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare not on PATH")
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	self := helperCmd(t, "pid1") // for its environment
	reexec.Env(t, "exit")        // started by pid1Helper, inside the namespace
	reexec.Env(t, "orphan")
	cmd := exec.CommandContext(ctx, unshare, "--pid", "--fork", "--kill-child", "--mount-proc", self.Path)
	cmd.Env = self.Env
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), "unshare failed") {
		t.Skipf("cannot create a pid namespace here: %s", out)
	}
	if err != nil {
		t.Fatalf("as PID 1: %v\n%s", err, out)
	}
	want := fmt.Sprintf("statuses delivered: %d; orphans reaped: %d", pid1Workers*pid1Rounds, pid1Orphans)
	if !strings.Contains(string(out), want) {
		t.Fatalf("as PID 1, output lacks %q:\n%s", want, out)
	}
}

const (
	pid1Workers = 4  // collectors running at once
	pid1Rounds  = 25 // collectors per worker
	pid1Orphans = 10
)

// pid1Helper is the scenario of TestRunAsPID1, run as PID 1.
func pid1Helper(...string) int {
	if os.Getpid() != 1 {
		fmt.Fprintf(os.Stderr, "pid1 helper runs as pid %d, not 1\n", os.Getpid())
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx)
	}()
	defer func() { cancel(); <-done }()

	var wg sync.WaitGroup
	errs := make(chan error, pid1Workers+1)
	for w := range pid1Workers {
		wg.Go(func() { errs <- collectors(w) })
	}
	var reaped int
	wg.Go(func() {
		var err error
		reaped, err = orphans()
		errs <- err
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Printf("statuses delivered: %d; orphans reaped: %d\n", pid1Workers*pid1Rounds, reaped)
	return 0
}

// collectors runs pid1Rounds lsof-like commands, each in its own process
// group and exiting at once with its own code, and checks every status.
func collectors(worker int) error {
	for i := range pid1Rounds {
		code := 1 + worker*pid1Rounds + i
		cmd := nestedCmd("exit", strconv.Itoa(code))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		err := Start(cmd)
		if err == nil {
			err = Wait(cmd)
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != code {
			return fmt.Errorf("collector %d: Wait() = %v, want exit status %d", code, err, code)
		}
	}
	return nil
}

// orphans makes pid1Orphans orphans (a child that exits at once, leaving
// its own child to PID 1) and checks that every one is reaped.
func orphans() (int, error) {
	reaped := 0
	for range pid1Orphans {
		out, err := Output(nestedCmd("orphan"))
		if err != nil {
			return reaped, fmt.Errorf("orphan maker: %w", err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			return reaped, fmt.Errorf("orphan maker printed %q: %w", out, err)
		}
		if err := waitReaped(pid); err != nil {
			return reaped, err
		}
		reaped++
	}
	return reaped, nil
}

// waitReaped polls, bounded, until pid is gone from /proc: neither running
// nor a zombie. Pids are not reused in a fresh namespace this small.
func waitReaped(pid int) error {
	deadline := time.Now().Add(waitLimit / 2)
	for {
		state, err := procState(pid)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("orphan %d not reaped within %v (state %q, %v)", pid, waitLimit/2, state, err)
		}
		tick := time.NewTimer(5 * time.Millisecond)
		<-tick.C
	}
}

// procState is the State line of /proc/PID/status ("Z (zombie)").
func procState(pid int) (string, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "State:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", sc.Err()
}

// orphanHelper starts a child that exits at once, prints its pid, and
// exits without waiting for it: the child becomes PID 1's to reap.
func orphanHelper(...string) int {
	cmd := nestedCmd("exit", "0")
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(cmd.Process.Pid)
	return 0
}
