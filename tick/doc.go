// Package tick lines hsup's periodic work up on shared wall-clock
// boundaries, so that its loops (the health watcher's turn, the
// accept-queue sample, the tree scan, the FD count, the probes) wake the
// process together rather than one after another. At idle the wake-ups
// themselves (a context switch, the Go scheduler looking for work, the
// runtime's monitor thread backing off again) cost more than the work
// they do: measured in the README's idle table.
package tick
