package healthcheck

// Kinds lists the probe kinds, for label sets (metrics).
func Kinds() []Kind { return []Kind{Cheap, Deep} }

// Results lists every result class, for label sets.
func Results() []Result {
	return []Result{OK, Degraded, Busy, Invalid, Timeout, Refused, Reset, Error, HsupError}
}

// Reasons lists the degraded reasons the policy gives, for label sets.
func Reasons() []string {
	return []string{ReasonHealth, ReasonDeep, ReasonHeartbeat, ReasonBusy, ReasonStartup, ReasonPortHeld}
}
