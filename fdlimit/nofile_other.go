//go:build !darwin

package fdlimit

// platformCap is 0: only macOS caps the per-process limit below the hard limit.
func platformCap() uint64 { return 0 }
