package hsuptest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var build struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// Binary builds ./cmd/hsup with the race detector once per test process
// and returns its path, so the wiring in cmd/hsup runs under -race in every
// end-to-end test; a Proc fails its test when hsup reports a data race.
// The build lands in a directory removed by Cleanup (call it from TestMain).
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "hsup-e2e-")
		if err != nil {
			build.err = err
			return
		}
		build.path = filepath.Join(dir, "hsup")
		cmd := exec.Command("go", "build", "-race", "-o", build.path, "./cmd/hsup")
		cmd.Dir = moduleRoot()
		build.out, build.err = cmd.CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("build hsup: %v\n%s", build.err, build.out)
	}
	return build.path
}

// Cleanup removes the built binary; TestMain calls it after m.Run.
func Cleanup() {
	if build.path != "" {
		_ = os.RemoveAll(filepath.Dir(build.path))
	}
}

// raceEnv is the GORACE setting hsup runs with: the race detector's
// report exits with 66 as usual, but a clean exit does not sleep a second
// first (atexit_sleep_ms), which would blur every exit-time bound. Options
// already in the test's GORACE are kept.
func raceEnv() string {
	return "GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// FreePort returns a port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
