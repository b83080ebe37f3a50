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

// Apply sets this process's own soft limit to the planned one, for itself
// and for the program it execs: hsup's `_nofile-exec` shim calls it just
// before it execs the child, and the demo app pins its own limit with it,
// as the WebUI does. It goes through syscall.Setrlimit on purpose: that
// call also tells the Go runtime not to restore its start-up limit in
// children and across syscall.Exec (see the package doc). want 0 leaves
// the limit alone. The returned Target says what was set; an error means
// the limit was left as it was and the caller should warn and go on.
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

// Own is this process's own descriptor budget, as RaiseOwn left it.
type Own struct {
	Before uint64 `json:"before"` // the soft limit RaiseOwn found
	Soft   uint64 `json:"soft"`   // the soft limit now
	Hard   uint64 `json:"hard"`
	// Set: RaiseOwn had to call setrlimit itself (the Go runtime had not
	// raised the limit), so the runtime no longer restores the start-up
	// limit in children. Before is that start-up limit; a child meant to
	// inherit it must be given it explicitly.
	Set bool `json:"set"`
}

// RaiseOwn raises this process's soft limit to its hard limit (on macOS at
// most kern.maxfilesperproc), so that hsup's own descriptors never depend
// on the limit it gives its child. The Go runtime has normally done so at
// start-up (to one below the hard limit on Linux), keeping the start-up
// limit to restore in the children it starts; RaiseOwn then changes
// nothing, so that restoring still happens. An error means the limit was
// left as it was.
func RaiseOwn() (Own, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return Own{}, fmt.Errorf("read RLIMIT_NOFILE: %w", err)
	}
	own := Own{Before: lim.Cur, Soft: lim.Cur, Hard: lim.Max}
	target, _ := Clamp(lim.Max, lim.Max, platformCap())
	if raised(lim.Cur, target) {
		return own, nil
	}
	set := syscall.Rlimit{Cur: target, Max: lim.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &set); err != nil {
		return own, fmt.Errorf("raise RLIMIT_NOFILE soft limit from %d to %d: %w", lim.Cur, target, err)
	}
	own.Soft, own.Set = target, true
	return own, nil
}

// raised reports whether a soft limit cur already is the target RaiseOwn
// aims at, or what the Go runtime leaves at start-up in its place (one
// below the hard limit, so that it can tell a later prlimit from its own).
func raised(cur, target uint64) bool {
	return cur >= target || cur == target-1
}
