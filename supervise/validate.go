package supervise

import (
	"fmt"
	"syscall"
	"time"
)

// The checks below are the refusals of hsup's flags for the values this
// package owns, so their messages name the flags (Min is --backoff-min,
// StopGrace is --stop-grace, and so on) and each is one line.

// Validate reports the first setting that cannot work: a negative
// duration, or a Max below Min (Delay would ignore it and wait Min every
// time, which is not what a cap asks for).
// A zero Min is valid: restarts without delay, which tests and benchmarks use.
func (b BackoffPolicy) Validate() error {
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--backoff-min", b.Min}, {"--backoff-max", b.Max}, {"--backoff-reset", b.Reset}} {
		if d.v < 0 {
			return negative(d.flag, d.v)
		}
	}
	if b.Max < b.Min {
		return fmt.Errorf("--backoff-max=%v is below --backoff-min=%v: raise --backoff-max", b.Max, b.Min)
	}
	return nil
}

// ValidateStop reports why Config's StopSignal and StopGrace cannot stop a
// child: no signal (0 would only SIGCONT the group and leave the whole
// grace to SIGKILL), or a negative grace.
func ValidateStop(signal syscall.Signal, grace time.Duration) error {
	if signal == 0 {
		// The flag's text form of "no signal" is the empty string.
		return fmt.Errorf("--stop-signal=%q: give a signal name such as TERM, INT or QUIT", "")
	}
	switch signal {
	case syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		// A stopped child neither exits nor frees its port; the lifeline
		// would stop itself with the group and leave it frozen.
		return fmt.Errorf("--stop-signal=%v stops a process instead of ending it: give TERM, INT, QUIT or KILL", signal)
	}
	if grace < 0 {
		return negative("--stop-grace", grace)
	}
	return nil
}

func negative(flag string, d time.Duration) error {
	return fmt.Errorf("%s=%v must be a positive duration such as 5s or 1m30s", flag, d)
}
