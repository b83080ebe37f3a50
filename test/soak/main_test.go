package soak

import (
	"fmt"
	"os"
	"testing"

	"github.com/hsup/hsup/test/hsuptest"
)

// childEnv selects a helper when hsup runs this test binary as its child:
// `hsup run -- <testbinary> ARGS` with HSUP_SOAK_CHILD=<name>.
const childEnv = "HSUP_SOAK_CHILD"

// helpers are the fake children; each lives in the file of the test that
// uses it and returns the process's exit code.
var helpers = map[string]func(args ...string) int{
	"exit":  exitChild,
	"flood": floodChild,
	"serve": serveChild,
	"spawn": spawnChild,
}

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		h, ok := helpers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "soak child: unknown helper %q\n", name)
			os.Exit(2)
		}
		os.Exit(h(os.Args[1:]...))
	}
	code := m.Run()
	hsuptest.Cleanup()
	os.Exit(code)
}

// noExitSleep stops a -race child from sleeping a second before it exits
// (GORACE atexit_sleep_ms), which would blur when it reacts to a signal.
const noExitSleep = "GORACE=atexit_sleep_ms=0"

// child is the environment entry that makes hsup's child run helper name.
func child(name string) string { return childEnv + "=" + name }
