package tick

import "time"

// Next is the wait from now until the first multiple of every on the
// wall clock that is at least every/2 away. Loops that sleep Next(now,
// every) between turns wake together; each still turns every period in
// the steady state, and between half a period and one and a half after
// its first turn. every <= 0 is no wait.
func Next(now time.Time, every time.Duration) time.Duration {
	if every <= 0 {
		return 0
	}
	at := now.Add(every / 2).Truncate(every).Add(every)
	return at.Sub(now)
}

// Floor is at rounded down to a multiple of grain on the wall clock, for
// work due at a moment of its own (the next probe, an interval after the
// last), which then wakes with the loops that use Next(now, grain) and
// never later than it was due: a probe interval is a promise. Only at's
// wall clock reading decides: the result keeps at's monotonic reading
// shifted by the same amount, so comparisons with other times of this
// process stay monotonic. grain <= 0 leaves at as it is.
func Floor(at time.Time, grain time.Duration) time.Time {
	if grain <= 0 {
		return at
	}
	return at.Add(at.Truncate(grain).Sub(at.Round(0)))
}
