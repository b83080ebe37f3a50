package ledger

import (
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

// TestMain fails a passing run that leaves the file writer's goroutine
// (or any other) or a descriptor behind.
func TestMain(m *testing.M) { reexec.Main(m, reexec.NoLeaks()) }
