package supervise

import (
	"golang.org/x/sys/unix"

	"fmt"
	"math"
	"syscall"
	"time"
)

// RestartPolicy decides what a child's end leads to.
type RestartPolicy int

// Restart policies, as in --restart.
const (
	RestartAlways RestartPolicy = iota
	RestartOnFailure
	RestartNever
)

// ParseRestartPolicy reads --restart.
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	switch s {
	case "always":
		return RestartAlways, nil
	case "on-failure":
		return RestartOnFailure, nil
	case "never":
		return RestartNever, nil
	}
	return 0, fmt.Errorf("--restart=%q: use always, on-failure or never", s)
}

func (p RestartPolicy) String() string {
	return [...]string{"always", "on-failure", "never"}[p]
}

// ReasonExit is the restart reason for a child that ended by itself; the
// other reasons (health, deep, heartbeat, busy, startup, fd_pressure) come
// from the monitors.
const ReasonExit = "exit"

// ReasonHsup is the restart reason when the start failed for want of a
// resource of hsup's own: the program never ran.
const ReasonHsup = "hsup_error"

// ReasonManual is the reason of a restart or a bundle an operator asked
// for (Supervisor.Ask: `hsup restart`, `hsup capture`).
const ReasonManual = "manual"

// ExitGaveUp is hsup's exit status when it gave up on a crash-looping
// child (CrashLoopPolicy.GiveUp): EX_UNAVAILABLE, so that the service
// manager sees a failure and its own restart limits apply.
const ExitGaveUp = 69

// shouldRestart decides whether a child that ended with code, for reason,
// comes back. A child hsup stopped because it was degraded counts as a
// failure whatever its exit code; one an operator restarted comes back
// whatever the policy.
func shouldRestart(p RestartPolicy, reason string, code int) bool {
	if reason == ReasonManual {
		return true
	}
	switch p {
	case RestartAlways:
		return true
	case RestartOnFailure:
		return reason != ReasonExit || code != 0
	}
	return false
}

// exitSentence is the restart's sentence for a child that ended by
// itself with code (a shell-style status).
func exitSentence(code int) string {
	if code > 128 && code < 128+65 {
		if name := unix.SignalName(syscall.Signal(code - 128)); name != "" {
			return fmt.Sprintf("the child was killed by %s (status %d)", name, code)
		}
	}
	return fmt.Sprintf("the child exited with status %d", code)
}

// exitCode maps a wait status to a shell-style exit code: N for exit N,
// 128+S for death by signal S.
func exitCode(ws syscall.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 128 + int(syscall.SIGKILL) // stopped/continued are not ends; be conservative
}

// exitStatus is hsup's own exit status when it stops for good after its
// child ended with code: a stop hsup was asked for (shutdown) that the
// child ended on the stop signal is a clean stop, 0, so a service manager
// does not see `systemctl stop` as a failure (tini's -e does the same for
// a chosen code); anything else is the child's status.
func exitStatus(shutdown bool, code int, stop syscall.Signal) int {
	if shutdown && stop != 0 && code == 128+int(stop) {
		return 0
	}
	return code
}

// CrashLoopPolicy says when consecutive restarts become a crash loop: a
// child that never runs healthy for the backoff's Reset (its program was
// removed, its port is held, it exits at once).
type CrashLoopPolicy struct {
	// After this many consecutive restarts the loop is announced (once per
	// streak) and the delay stays at the backoff's Max; 0 = never.
	After int
	// GiveUp: after this many consecutive restarts hsup exits ExitGaveUp
	// instead of restarting again; 0 = never.
	GiveUp int
}

// Judge is the pure crash-loop decision for a restart about to be
// decided, streak being its number in the current run of restarts
// (1-based). announce: this restart makes the loop (once per streak);
// looping: the loop is on (the delay is the cap); giveUp: exit instead.
func (c CrashLoopPolicy) Judge(streak int) (announce, looping, giveUp bool) {
	looping = c.After > 0 && streak >= c.After
	return looping && streak == c.After, looping, c.GiveUp > 0 && streak > c.GiveUp
}

// BackoffPolicy is the restart delay policy: the ceiling starts at Min and doubles
// per consecutive restart up to Max; the delay is drawn uniformly between
// Min and the ceiling (full jitter above the minimum, so Min stays a true
// minimum). A child that ran healthy for Reset starts over at Min. The
// delay separates two starts of the child, not its end from the next
// start: see Wait.
type BackoffPolicy struct {
	Min, Max, Reset time.Duration
}

// Delay is the wait before restart number attempt (0-based) given a uniform
// random u in [0, 1).
func (b BackoffPolicy) Delay(attempt int, u float64) time.Duration {
	ceiling := b.Max
	if attempt < 62 {
		if c := float64(b.Min) * math.Exp2(float64(attempt)); c < float64(b.Max) {
			ceiling = time.Duration(c)
		}
	}
	if ceiling < b.Min {
		ceiling = b.Min
	}
	return b.Min + time.Duration(u*float64(ceiling-b.Min))
}

// NextAttempt returns the attempt number for the coming restart: a child
// that stayed healthy for at least Reset resets the sequence.
func (b BackoffPolicy) NextAttempt(attempt int, healthyFor time.Duration) int {
	if healthyFor >= b.Reset {
		return 0
	}
	return attempt
}

// Next is the whole backoff step for a restart just decided: attempt is
// the number of restarts since the last reset, healthyFor how long the
// child that ended ran healthy (Reset or more starts the sequence over),
// u a uniform draw in [0, 1). It returns the wait and the new attempt
// count (1-based: the restart just decided).
func (b BackoffPolicy) Next(attempt int, healthyFor time.Duration, u float64) (time.Duration, int) {
	attempt = b.NextAttempt(attempt, healthyFor)
	return b.Delay(attempt, u), attempt + 1
}

// Wait is how long a restart waits after the child ended, for a delay
// that separates its starts: the delay less the time the child ran, and
// nothing once it ran longer. A child that dies at once waits the whole
// delay, so a crash loop is held to one start per delay; one that served
// for hours and then wedged comes back at once, since waiting more would
// only lengthen the outage. runit and s6 space their starts the same way.
func Wait(delay, ran time.Duration) time.Duration { return max(delay-max(ran, 0), 0) }
