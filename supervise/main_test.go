package supervise

import (
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

// TestMain re-executes the test binary as a fake child when the reexec
// guard names a helper (the os/exec tests' pattern).
func TestMain(m *testing.M) { reexec.Main(m) }
