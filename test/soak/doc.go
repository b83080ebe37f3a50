// Package soak holds hsup's soak and fault-injection tests: hundreds of
// crash-restarts without leaking descriptors or goroutines, a child that
// floods its output, SIGTERM in every supervisor state, and a child whose
// 200 grandchildren must not outlive a restart. Every test runs the built
// binary on 127.0.0.1 with bounded waits; the children are this test
// binary, re-executed as reexec helpers.
package soak
