package soak

import (
	"testing"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// TestMain re-executes the test binary as hsup's child when the reexec
// guard names a helper (`hsup run -- <testbinary> ARGS` with
// reexec.Env(t, name)); otherwise it runs the tests and removes the built
// hsup.
func TestMain(m *testing.M) { reexec.Main(m, reexec.After(hsuptest.Cleanup)) }

// noExitSleep stops a -race child from sleeping a second before it exits
// (GORACE atexit_sleep_ms), which would blur when it reacts to a signal.
const noExitSleep = "GORACE=atexit_sleep_ms=0"
