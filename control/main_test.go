package control

import (
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

// TestMain fails a passing run that leaves a goroutine or a descriptor
// behind (a server's, a client's connection).
func TestMain(m *testing.M) { reexec.Main(m, reexec.NoLeaks()) }
