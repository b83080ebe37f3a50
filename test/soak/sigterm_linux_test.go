package soak

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// stateWait bounds reaching a state: a start, a few probes, a capture.
const stateWait = 20 * time.Second

// sigtermCase puts hsup in one state, then sends it SIGTERM.
type sigtermCase struct {
	name     string
	grace    time.Duration // --stop-grace
	flags    []string      // run flags besides the common ones
	argv     func(t *testing.T, c caseDirs) []string
	env      func(t *testing.T) []string
	reach    func(t *testing.T, p *hsuptest.Proc, c caseDirs) (childPid int)
	wantCode int
}

// caseDirs is where one case's child listens and keeps its state.
type caseDirs struct {
	addr  string // 127.0.0.1:PORT
	state string // the demo app's --state-dir
}

func TestSigtermInEveryState(t *testing.T) {
	lsofPid := filepath.Join(t.TempDir(), "lsof.pid")
	cases := []sigtermCase{
		// SIGTERM while the demo app waits out its start delay, once it
		// has created state.db: its handler is installed by then.
		{name: "starting", grace: 3 * time.Second, argv: demoApp(5 * time.Second),
			reach: startDelay, wantCode: 0},
		{name: "running", grace: 3 * time.Second, argv: demoApp(0),
			reach: untilState("running"), wantCode: 0},
		// The hung probe makes the child degraded; a fake lsof that sleeps
		// keeps the capture going when SIGTERM arrives.
		{name: "capturing", grace: 4 * time.Second, argv: demoApp(0),
			flags: []string{"--health-failures=1", "--diag-timeout=5s"},
			env:   func(t *testing.T) []string { return []string{"PATH=" + slowLsof(t, lsofPid) + ":" + os.Getenv("PATH")} },
			reach: capturing(lsofPid), wantCode: 0},
		// The child ignores SIGTERM: after a failed probe hsup stops it for a
		// restart and waits out the grace when its own SIGTERM comes.
		{name: "stopping", grace: 2 * time.Second, flags: []string{"--health-failures=1"},
			argv: testChild("serve", "ignore-term"), env: childEnvOf("serve"),
			reach: stopping, wantCode: 128 + int(syscall.SIGKILL)},
		{name: "backoff", grace: 3 * time.Second, flags: []string{"--health-url=", "--backoff-min=5s", "--backoff-max=5s"},
			argv: func(*testing.T, caseDirs) []string { return []string{os.Args[0], "3"} }, env: childEnvOf("exit"),
			reach: untilState("backoff"), wantCode: 0}, // no child ran: a clean stop, whatever the last one's 3
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runSigtermCase(t, tc) })
	}
	if pid := readPid(lsofPid); pid > 0 && alive(pid) {
		t.Errorf("the fake lsof (pid %d) outlived hsup's capture", pid)
	}
}

func runSigtermCase(t *testing.T, tc sigtermCase) {
	c := caseDirs{addr: fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t)), state: t.TempDir()}
	addr := c.addr
	args := []string{"run", "--health-url=http://" + addr + "/health", "--health-interval=200ms",
		"--health-timeout=500ms", "--deep-url=", "--heartbeat-field=", "--metrics-addr=", "--log-format=json",
		"--diag-dir=" + t.TempDir(), "--stop-grace=" + tc.grace.String(), "--backoff-min=100ms", "--backoff-max=200ms"}
	args = append(append(args, tc.flags...), "--")
	var env []string
	if tc.env != nil {
		env = tc.env(t)
	}
	p := hsuptest.Start(t, append(args, tc.argv(t, c)...), env...)
	pid := tc.reach(t, p, c)
	_, pgid, ok := stat(pid) // the lifeline's group, which the child joined
	if !ok {
		pgid = 0 // no child (backoff): nothing of a group to outlive hsup
	}
	sent := time.Now()
	p.Signal(t, syscall.SIGTERM)
	code := p.Wait(t, tc.grace+time.Second)
	t.Logf("hsup exited %d %v after SIGTERM in %s", code, time.Since(sent).Round(time.Millisecond), tc.name)
	if code != tc.wantCode {
		t.Errorf("hsup exited %d, want %d", code, tc.wantCode)
	}
	if alive(pid) {
		t.Errorf("child %d is still alive after hsup exited", pid)
	}
	if left := groupAlive(pgid); pgid > 1 && len(left) > 0 {
		t.Errorf("processes %v of the child's group %d outlived hsup", left, pgid)
	}
}

// demoApp runs hsup's own demo app as the child, starting after delay.
func demoApp(delay time.Duration) func(t *testing.T, c caseDirs) []string {
	return func(t *testing.T, c caseDirs) []string {
		return []string{hsuptest.Binary(t), "demo-app", "--addr", c.addr, "--state-dir", c.state,
			"--start-delay", delay.String()}
	}
}

// testChild runs this test binary as the child (see children_test.go),
// the listen address first.
func testChild(extra ...string) func(t *testing.T, c caseDirs) []string {
	return func(_ *testing.T, c caseDirs) []string {
		return append([]string{os.Args[0], c.addr}, extra[1:]...)
	}
}

func childEnvOf(name string) func(*testing.T) []string {
	return func(t *testing.T) []string { return []string{reexec.Env(t, name), noExitSleep} }
}

// untilState waits for "child <state>" and returns the child's pid from it.
func untilState(state string) func(t *testing.T, p *hsuptest.Proc, c caseDirs) int {
	return func(t *testing.T, p *hsuptest.Proc, _ caseDirs) int {
		l, _ := p.WaitLine(t, 0, stateWait, "child "+state, hsuptest.State(state))
		return l.Int("pid")
	}
}

// capturing hangs the demo app's answers and waits until the fake lsof
// runs inside the capture.
func capturing(lsofPid string) func(t *testing.T, p *hsuptest.Proc, c caseDirs) int {
	return func(t *testing.T, p *hsuptest.Proc, c caseDirs) int {
		pid := untilState("running")(t, p, c)
		if code, body := hsuptest.Post(t, "http://"+c.addr+"/demo/hang"); code != 200 {
			t.Fatalf("POST /demo/hang: %d %s", code, body)
		}
		untilState("capturing")(t, p, c)
		waitFile(t, lsofPid, stateWait)
		return pid
	}
}

// stopping fails the child's probe, then waits for the stop of the restart.
func stopping(t *testing.T, p *hsuptest.Proc, c caseDirs) int {
	pid := untilState("running")(t, p, c)
	if code, body := hsuptest.Post(t, "http://"+c.addr+"/fail"); code != 200 {
		t.Fatalf("POST /fail: %d %s", code, body)
	}
	untilState("stopping")(t, p, c)
	return pid
}

// startDelay waits for "child starting" and for the demo app's state.db,
// which it creates after installing its SIGTERM handler and before its
// start delay.
func startDelay(t *testing.T, p *hsuptest.Proc, c caseDirs) int {
	pid := untilState("starting")(t, p, c)
	waitFile(t, filepath.Join(c.state, "state.db"), stateWait)
	return pid
}

// slowLsof writes an lsof into a new directory that records its pid and
// sleeps (exec keeps the pid), and returns the directory.
func slowLsof(t *testing.T, pidFile string) string {
	dir := t.TempDir()
	script := "#!/bin/sh\necho $$ > " + pidFile + ".tmp && mv " + pidFile + ".tmp " + pidFile + "\nexec sleep 30\n"
	if err := os.WriteFile(filepath.Join(dir, "lsof"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// waitFile polls for path, every 20 ms up to timeout: the fake lsof is a
// shell script with no other way to say it runs.
func waitFile(t *testing.T, path string, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s did not appear within %v", path, timeout)
		}
	}
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
