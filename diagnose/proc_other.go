//go:build !linux && !darwin

package diagnose

// platformCollectors: nothing beyond the portable collectors here.
func (r *run) platformCollectors() []collector { return nil }
