// Package e2e tests the built hsup binary as a user runs it: `hsup run`
// with real child processes (the test binary re-executed as a fake child,
// or /bin/sh), health-driven restarts against the built-in demo app, and
// `hsup check`. It holds only tests.
package e2e
