package e2e

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// TestMain re-executes the test binary as a fake child when the reexec
// guard names a helper; otherwise it runs the tests, removes the built
// hsup and fails a passing run that leaves goroutines or descriptors.
func TestMain(m *testing.M) {
	reexec.Main(m, reexec.After(hsuptest.Cleanup), reexec.NoLeaks())
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
	t.Helper()
	return append([]string{"--", self(t)}, args...), reexec.Env(t, name)
}

func ready(p *hsuptest.Proc, t *testing.T) hsuptest.Line {
	l, _ := p.WaitLine(t, 0, lineWait, "the helper's ready line", func(l hsuptest.Line) bool { return l.Msg() == "helper ready" })
	return l
}
