package acceptq

import (
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

func TestMain(m *testing.M) { reexec.Main(m, reexec.NoLeaks()) }
