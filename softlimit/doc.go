// Package softlimit keeps hsup's soft memory limit (debug.SetMemoryLimit)
// low for as long as the garbage collection it costs stays cheap.
//
// The Go runtime counts its own memory against the limit, so a limit a
// little above what an idle hsup maps hands most free heap pages back to
// the system, at the price of a GC every several seconds. If hsup's live
// heap grows (the output tail filling, output held for a stalled reader,
// a bundle being written), the same limit would have the GC run nonstop.
// Next raises the limit a step for each minute that saw that, and lowers
// it again, step by step to the floor, once the GC is quiet.
package softlimit
