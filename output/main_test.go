package output

import (
	"go.uber.org/goleak"
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

// TestMain fails a passing run that leaves a drain goroutine (or any
// other) or a descriptor behind. lumberjack keeps one idle goroutine per
// rotated file for the process's life, by its design (see NewFile).
func TestMain(m *testing.M) {
	reexec.Main(m, reexec.NoLeaks(goleak.IgnoreTopFunction("gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun")))
}
