// Package reexec lets a package's tests run their own test binary as a
// fake child, as Go's os/exec tests do, and checks at the end of a run that
// nothing was left behind.
//
// A test file registers the helpers it uses, in an init function:
//
//	func init() { reexec.Register("exit", exitHelper) }
//
// The package's TestMain hands over to Main:
//
//	func TestMain(m *testing.M) { reexec.Main(m) }
//
// A test starts a helper with Command, or, when another program (hsup)
// starts the test binary, puts Env into that program's environment:
//
//	cmd := reexec.Command(t, "exit", "3")
//
// In the re-executed binary the environment variable Guard names the
// helper and os.Args[1:] are its arguments; Main runs it and exits with
// the code it returns, without running any test.
//
// When every test of the package ran and passed (no -run, -skip, -list,
// -bench or -fuzz, and not -short), Main fails the run if a registered
// helper was never started, so helpers do not outlive the tests that
// needed them. With NoLeaks it also fails a passing run that leaves
// goroutines (checked with go.uber.org/goleak) or file descriptors behind.
package reexec
