package demoapp

import (
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

// TestMain re-executes the test binary as a helper when the reexec guard
// names one (as in Go's os/exec tests).
func TestMain(m *testing.M) { reexec.Main(m) }
