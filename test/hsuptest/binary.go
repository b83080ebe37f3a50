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

type binary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

var raceBuild, plainBuild binary

// Binary builds ./cmd/hsup with the race detector once per test process
// and returns its path, so the wiring in cmd/hsup runs under -race in every
// end-to-end test; a Proc fails its test when hsup reports a data race.
// The build lands in a directory removed by Cleanup (call it from TestMain).
func Binary(t testing.TB) string { return raceBuild.get(t, "-race") }

// PlainBinary builds ./cmd/hsup as users get it (no race detector), for
// the tests that measure hsup's memory: the race detector's shadow memory
// would be most of what they measured.
func PlainBinary(t testing.TB) string { return plainBuild.get(t) }

func (b *binary) get(t testing.TB, flags ...string) string {
	t.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "hsup-e2e-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "hsup")
		cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", b.path, "./cmd/hsup")...)
		cmd.Dir = moduleRoot()
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("build hsup: %v\n%s", b.err, b.out)
	}
	return b.path
}

// Cleanup removes the built binaries; TestMain calls it after m.Run.
func Cleanup() {
	for _, b := range []*binary{&raceBuild, &plainBuild} {
		if b.path != "" {
			_ = os.RemoveAll(filepath.Dir(b.path))
		}
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
