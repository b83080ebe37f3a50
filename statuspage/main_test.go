package statuspage

import (
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

// TestMain fails a passing run that leaves goroutines (a summary read,
// a sampler) or descriptors behind.
func TestMain(m *testing.M) { reexec.Main(m, reexec.NoLeaks()) }
