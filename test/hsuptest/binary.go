package hsuptest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var build struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// Binary builds ./cmd/hsup once per test process and returns its path.
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
		cmd := exec.Command("go", "build", "-o", build.path, "./cmd/hsup")
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
