package output

import (
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

// TestMain fails a passing run that leaves a drain goroutine (or any
// other) or a descriptor behind.
func TestMain(m *testing.M) { reexec.Main(m, reexec.NoLeaks()) }
