package reexec

import (
	"os"
	"os/exec"
	"sync"
	"testing"
)

// Guard is the environment variable that turns the test binary into the
// helper it names.
const Guard = "HSUP_TEST_HELPER"

// A Helper runs in the re-executed test binary with the arguments the test
// gave and returns the process's exit code.
type Helper func(args ...string) int

var (
	helpers = map[string]Helper{}
	used    sync.Map // helper name -> true, once a test started it
)

// Register makes helper available under name. Call it from an init
// function of the test file that uses the helper. It panics when name is
// empty or already registered.
func Register(name string, helper Helper) {
	if name == "" || helper == nil {
		panic("reexec: Register needs a name and a helper")
	}
	if _, dup := helpers[name]; dup {
		panic("reexec: duplicate helper registered: " + name)
	}
	helpers[name] = helper
}

// Command returns a command that runs helper name with args in a copy of
// the test binary, with the environment of the test plus Guard. It fails
// the test when no such helper is registered.
func Command(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), Env(t, name))
	return cmd
}

// Env is the environment entry ("HSUP_TEST_HELPER=name") that makes a copy
// of the test binary run helper name, for a program that starts the test
// binary itself (hsup run -- os.Args[0] ARGS). It records name as used and
// fails the test when no such helper is registered.
func Env(t testing.TB, name string) string {
	t.Helper()
	if _, ok := helpers[name]; !ok {
		t.Fatalf("reexec: no helper %q registered", name)
	}
	used.Store(name, true)
	return Guard + "=" + name
}

// unused lists the registered helpers that no test started.
func unused() []string {
	var out []string
	for name := range helpers {
		if _, ok := used.Load(name); !ok {
			out = append(out, name)
		}
	}
	return out
}
