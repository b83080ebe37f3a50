package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
)

// childEnv is the guard that turns the test binary into a fake child; its
// value names the helper, os.Args[1:] are the helper's arguments.
const childEnv = "HSUP_E2E_CHILD"

// helpers are the fake children, registered by the files that use them.
var helpers = map[string]func(args []string) int{}

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		h, ok := helpers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "e2e: no helper %q\n", name)
			os.Exit(2)
		}
		os.Exit(h(os.Args[1:]))
	}
	fds, gs := countFDs(), runtime.NumGoroutine()
	code := m.Run()
	hsuptest.Cleanup()
	if code == 0 {
		code = checkLeaks(fds, gs)
	}
	os.Exit(code)
}

// leakSlack allows for runtime and net/http goroutines and FDs (epoll,
// pidfds) that come and go on their own.
const leakSlack = 4

// checkLeaks compares the FD and goroutine counts with those before the
// tests, polling briefly because finished readers exit asynchronously.
func checkLeaks(fds, gs int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		nf, ng := countFDs(), runtime.NumGoroutine()
		if nf <= fds+leakSlack && ng <= gs+leakSlack {
			return 0
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			fmt.Fprintf(os.Stderr, "e2e: leak: fds %d -> %d, goroutines %d -> %d\n%s\n", fds, nf, gs, ng, buf[:n])
			return 1
		}
		runtime.Gosched()
		time.Sleep(20 * time.Millisecond) // polling a count: there is no event to wait on
	}
}

func countFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0 // not Linux: nothing to compare
	}
	return len(ents)
}

// say writes one JSON line to stderr: hsup copies the child's stderr to
// its own, so the harness parses it as a Line the test can wait for.
func say(msg string, kv ...any) {
	m := map[string]any{"msg": msg}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	os.Stderr.Write(append(b, '\n'))
}

const (
	lineWait = 15 * time.Second // generous: 2 cores shared with other builds
	exitWait = 15 * time.Second
)

// runArgs are `hsup run` flags every test passes (no metrics port, own
// bundle dir, no probing unless extra sets --health-url), then extra.
func runArgs(t *testing.T, extra ...string) []string {
	return append([]string{"run", "--log-format=json", "--metrics-addr=", "--diag-dir=" + t.TempDir(),
		"--health-url=", "--backoff-min=100ms", "--backoff-max=200ms"}, extra...)
}

// self is the test binary, the fake child.
func self(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// helperCmd is "-- <test binary> args..." with the guard for helper name.
func helperCmd(t *testing.T, name string, args ...string) ([]string, string) {
	return append([]string{"--", self(t)}, args...), childEnv + "=" + name
}

func ready(p *hsuptest.Proc, t *testing.T) hsuptest.Line {
	l, _ := p.WaitLine(t, 0, lineWait, "the helper's ready line", func(l hsuptest.Line) bool { return l.Msg() == "helper ready" })
	return l
}
