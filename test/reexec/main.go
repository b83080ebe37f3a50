package reexec

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"
)

// An Option adds a step to the end of a test run in Main.
type Option func(*suite)

// suite is what Main does around m.Run.
type suite struct {
	after     []func()
	leaks     bool
	fdsBefore int
}

// After runs f once the tests have finished and before Main's checks, to
// remove what the tests built (hsuptest.Cleanup).
func After(f func()) Option {
	return func(s *suite) { s.after = append(s.after, f) }
}

// NoLeaks fails a passing run when, within 5 s after the tests, goroutines
// other than the runtime's and the testing package's are still running
// (go.uber.org/goleak), or more than a few file descriptors beyond those
// open before the tests are still open.
func NoLeaks() Option {
	return func(s *suite) { s.leaks = true }
}

// Main is the body of a package's TestMain; it does not return. When
// Guard names a helper, it runs that helper with os.Args[1:] and exits with
// its code (2, with a message, for a name nobody registered). Otherwise it
// runs the tests, then the After functions, and fails a passing run when a
// registered helper went unused (only when every test ran) or, with
// NoLeaks, when the tests left goroutines or descriptors behind.
func Main(m *testing.M, opts ...Option) {
	if name := os.Getenv(Guard); name != "" {
		os.Exit(runHelper(name, os.Args[1:]))
	}
	var s suite
	for _, o := range opts {
		o(&s)
	}
	if s.leaks {
		s.fdsBefore = countFDs()
	}
	code := m.Run()
	for _, f := range s.after {
		f()
	}
	if code == 0 {
		code = s.check()
	}
	os.Exit(code)
}

func runHelper(name string, args []string) int {
	helper, ok := helpers[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "reexec: %s=%s names no registered helper\n", Guard, name)
		return 2
	}
	return helper(args...)
}

// check runs the end-of-run checks and returns the run's exit code.
func (s *suite) check() int {
	code := 0
	if wholeSuite() {
		names := unused()
		slices.Sort(names)
		for _, name := range names {
			fmt.Fprintf(os.Stderr, "FAIL: reexec: helper %q registered but never started; remove it\n", name)
			code = 1
		}
	}
	if s.leaks {
		if err := checkLeaks(s.fdsBefore); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: leak check:", err)
			code = 1
		}
	}
	return code
}

// wholeSuite reports whether every test of the package was meant to run:
// no test filter, no benchmark or fuzz run, no listing, not -short.
func wholeSuite() bool {
	for _, name := range []string{"test.run", "test.skip", "test.list", "test.bench", "test.fuzz"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return !testing.Short()
}
