package reexec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// extraEnv makes a copy of this test binary register a helper no test
// starts, so TestUnusedHelperFailsRun can watch the check catch it.
const extraEnv = "REEXEC_TEST_UNUSED"

func init() {
	Register("exit", func(args ...string) int {
		n, _ := strconv.Atoi(args[0])
		return n
	})
	Register("echo", func(args ...string) int {
		fmt.Println(strings.Join(args, " "))
		return 0
	})
	if os.Getenv(extraEnv) != "" {
		Register("never-started", func(...string) int { return 0 })
	}
}

func TestMain(m *testing.M) { Main(m, NoLeaks()) }

const runWait = 30 * time.Second

// noExitSleep spares a -race copy the second it sleeps before exiting.
const noExitSleep = "GORACE=atexit_sleep_ms=0"

// run runs cmd, bounded, and returns its exit code and combined output.
func run(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(runWait, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("wait: %v", err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

func TestCommandRunsHelper(t *testing.T) {
	if code, out := run(t, Command(t, "exit", "3")); code != 3 || out != "" {
		t.Fatalf("exit helper: code %d, output %q; want 3 and nothing", code, out)
	}
	if code, out := run(t, Command(t, "echo", "a", "-b")); code != 0 || out != "a -b\n" {
		t.Fatalf("echo helper: code %d, output %q; want 0 and \"a -b\\n\"", code, out)
	}
}

func TestEnvNamesHelper(t *testing.T) {
	if got := Env(t, "echo"); got != "HSUP_TEST_HELPER=echo" {
		t.Fatalf("Env = %q", got)
	}
	if _, ok := used.Load("echo"); !ok {
		t.Fatal("Env did not record the helper as used")
	}
}

func TestUnknownHelperExits2(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), Guard+"=no-such-helper")
	code, out := run(t, cmd)
	if code != 2 || !strings.Contains(out, `no-such-helper names no registered helper`) {
		t.Fatalf("code %d, output %q; want 2 and a message naming the helper", code, out)
	}
}

func TestRegisterDuplicatePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `duplicate helper registered: exit`) {
			t.Fatalf("recover() = %v, want a duplicate-helper panic", r)
		}
	}()
	Register("exit", func(...string) int { return 0 })
}

// TestUnusedHelperFailsRun runs this package's whole suite in a copy that
// registers one more helper, and wants the run failed for it alone.
func TestUnusedHelperFailsRun(t *testing.T) {
	if os.Getenv(extraEnv) != "" {
		t.Skip("inside the copy")
	}
	cmd := exec.Command(os.Args[0], "-test.count=1")
	cmd.Env = append(os.Environ(), extraEnv+"=1", noExitSleep)
	code, out := run(t, cmd)
	want := `FAIL: reexec: helper "never-started" registered but never started`
	if code != 1 || !strings.Contains(out, want) || strings.Count(out, "registered but never started") != 1 {
		t.Fatalf("code %d, output:\n%s\nwant 1 and only %q", code, out, want)
	}
	cmd = exec.Command(os.Args[0], "-test.count=1", "-test.run=^TestCommandRunsHelper$")
	cmd.Env = append(os.Environ(), extraEnv+"=1", noExitSleep)
	if code, out := run(t, cmd); code != 0 {
		t.Fatalf("a filtered run: code %d, output:\n%s\nwant 0 (no unused-helper check)", code, out)
	}
}

func TestNoLeaksFindsGoroutineAndDescriptor(t *testing.T) {
	before := countFDs()
	stop := make(chan struct{})
	go func() { <-stop }()
	if err := leaked(before); err == nil || !strings.Contains(err.Error(), "unexpected goroutines") {
		t.Fatalf("leaked() = %v, want the parked goroutine reported", err)
	}
	close(stop)
	var files []*os.File
	for range fdSlack + 1 {
		f, err := os.Open(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if err := leaked(before); err == nil || !strings.Contains(err.Error(), "open descriptors") {
		t.Fatalf("leaked() = %v, want the open descriptors reported", err)
	}
	for _, f := range files {
		f.Close()
	}
	if err := checkLeaks(before); err != nil {
		t.Fatalf("checkLeaks() after cleaning up = %v", err)
	}
}
