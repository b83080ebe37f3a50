package observe

import (
	"testing"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// TestMain re-executes the test binary as one of hsup's children when the
// reexec guard names a helper; otherwise it runs the tests, removes the
// built hsup and fails a passing run that leaves goroutines or descriptors.
func TestMain(m *testing.M) {
	reexec.Main(m, reexec.After(hsuptest.Cleanup), reexec.NoLeaks())
}
