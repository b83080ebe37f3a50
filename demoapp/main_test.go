package demoapp

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// childEnv marks a re-executed test binary that runs a helper instead of
// the tests (as in Go's os/exec tests).
const childEnv = "HSUP_DEMOAPP_TEST_CHILD"

// childHelpers are the helpers a child can run, registered by the test
// files that use them. A helper returns the process's exit code.
var childHelpers = map[string]func(args ...string) int{}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "" {
		os.Exit(m.Run())
	}
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "test child: no helper named")
		os.Exit(2)
	}
	helper, ok := childHelpers[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "test child: unknown helper %q\n", args[0])
		os.Exit(2)
	}
	os.Exit(helper(args[1:]...))
}
