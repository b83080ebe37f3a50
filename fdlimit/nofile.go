package fdlimit

import (
	"fmt"
	"syscall"
)

// Target is the RLIMIT_NOFILE plan for the child: what was wanted, what the
// child will get, and why they differ.
type Target struct {
	Want   uint64 `json:"want"`
	Soft   uint64 `json:"soft"`
	Hard   uint64 `json:"hard"`
	Cap    uint64 `json:"cap,omitempty"` // kern.maxfilesperproc on macOS, 0 elsewhere
	Reason string `json:"reason"`
}

// Clamped reports whether the child gets less than was wanted.
func (t Target) Clamped() bool { return t.Soft < t.Want }

// Clamp is the pure decision: the soft limit a child can get when want is
// asked for under the given hard limit and per-process cap (0 = no cap).
// The reason is a short phrase for logs and `hsup doctor`.
func Clamp(want, hard, limitCap uint64) (uint64, string) {
	soft, reason := want, "as requested"
	if limitCap > 0 && soft > limitCap {
		soft, reason = limitCap, fmt.Sprintf("clamped to kern.maxfilesperproc %d", limitCap)
	}
	if soft > hard {
		soft, reason = hard, fmt.Sprintf("clamped to the hard limit %d", hard)
	}
	return soft, reason
}

// Plan reads this process's hard limit (and the platform cap) and decides
// what a child asking for want would get.
func Plan(want uint64) (Target, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return Target{}, fmt.Errorf("read RLIMIT_NOFILE: %w", err)
	}
	limitCap := platformCap()
	soft, reason := Clamp(want, lim.Max, limitCap)
	return Target{Want: want, Soft: soft, Hard: lim.Max, Cap: limitCap, Reason: reason}, nil
}

// Apply makes every child started from now on run with the planned soft
// limit. It sets hsup's own soft limit through syscall.Setrlimit on purpose:
// that call also tells the Go runtime not to restore the start-up limit in
// children (see the package doc). want 0 leaves the limit alone, so children
// inherit what hsup was started with. The returned Target says what was set;
// an error means the limit was left as it was and the caller should warn and
// go on.
func Apply(want uint64) (Target, error) {
	if want == 0 {
		return Target{Reason: "inherited (--nofile=0)"}, nil
	}
	t, err := Plan(want)
	if err != nil {
		return t, err
	}
	lim := syscall.Rlimit{Cur: t.Soft, Max: t.Hard}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return t, fmt.Errorf("set RLIMIT_NOFILE soft limit to %d: %w", t.Soft, err)
	}
	return t, nil
}
