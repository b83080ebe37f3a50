// Command floor is the memory bench's reference: a Go program that links
// what hsup links and does nothing but serve its own /metrics, the floor
// under hsup's memory.
//
// It serves the Go and process collectors (hsup's /metrics has both),
// uncompressed as hsup does, on --addr, and sets the runtime as `hsup run`
// does: one P and hsup's soft memory limit (softlimit.Default.Floor), each
// unless the environment sets it, and the signal thread that os/signal
// costs. The bench builds it with the release build's flags and an overlay
// file that blank-imports every package of `go list -deps ./cmd/hsup`
// outside hsup, so that all of their package inits run as in hsup. Built
// without the overlay it runs too, but measures less.
//
// What hsup holds above this floor, measured in the same run over the
// same scrapes, is what supervising costs.
package main
