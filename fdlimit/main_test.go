package fdlimit

import (
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

// TestMain re-executes the test binary as a helper when the reexec guard
// names one: the limit tests need processes of their own.
func TestMain(m *testing.M) { reexec.Main(m) }
