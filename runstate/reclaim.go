package runstate

import (
	"context"
	"os"
	"syscall"
	"time"
)

const (
	// pollEvery is how often Reclaim asks whether the orphans are gone, to
	// end the grace early.
	pollEvery = 20 * time.Millisecond
	// killWait bounds the wait for SIGKILLed orphans to go.
	killWait = time.Second
)

// Orphans is the reclaim rule, pure. Of the processes r records (Child and
// Members, each once), those alive as the same process (same(m) true: pid
// and start time match) are orphans of an earlier hsup; the others are
// stale (gone, or their pid reused by another process) and must never be
// touched. A member without an identity (pid 0 or 1, start time 0), hsup
// itself or its parent is stale without asking same; the zero Member (no
// child) is left out.
func Orphans(r Record, same func(Member) bool) (orphans, stale []Member) {
	for _, m := range unique(append([]Member{r.Child}, r.Members...)) {
		switch {
		case m == Member{}:
		case m.Pid == os.Getpid() || m.Pid == os.Getppid(): // a record naming hsup or its parent is planted or mistaken
			stale = append(stale, m)
		case identifiable(m) && same(m):
			orphans = append(orphans, m)
		default:
			stale = append(stale, m)
		}
	}
	return orphans, stale
}

func identifiable(m Member) bool { return m.Pid > 1 && m.Start != 0 }

// unique drops repeated processes (same pid and start time), keeping the
// first.
func unique(ms []Member) []Member {
	type id struct {
		pid   int
		start uint64
	}
	seen := make(map[id]bool, len(ms))
	var out []Member
	for _, m := range ms {
		if k := (id{m.Pid, m.Start}); !seen[k] {
			seen[k] = true
			out = append(out, m)
		}
	}
	return out
}

// ReclaimReport is what Reclaim did, for the log. Every orphan given to
// Reclaim (a repeated one once) is in exactly one of Stopped, Killed and
// Skipped.
type ReclaimReport struct {
	Stopped []Member      // went within the grace: on the stop signal, or by themselves
	Killed  []Member      // still the same process when the grace ran out: SIGKILLed
	Left    []Member      // of Killed, still the same process when Reclaim returned
	Skipped []Member      // not the same process when Reclaim began: never signalled
	Took    time.Duration // from the first signal to the last one gone (or giving up)
}

// Reclaim stops orphans as the lifeline stops a child. To each orphan's
// process group (when an orphan that is still itself is in that group now)
// and then to each orphan, it sends sig and SIGCONT; it waits up to grace,
// asking same every 20 ms and ending early once all are gone; then it
// SIGKILLs the groups and orphans still there and waits up to a second
// for them to go. Identity is checked with same before every signal, so a
// process that is not the recorded one (its pid reused) is never
// signalled, and neither is hsup itself, its process group, pid 1 or
// group 1. same must report false for a zombie. When ctx is done, Reclaim
// skips what is left of the grace, SIGKILLs, and does not wait.
func Reclaim(ctx context.Context, orphans []Member, sig syscall.Signal, grace time.Duration, same func(Member) bool) ReclaimReport {
	return reclaimer{host: thisHost(), same: same}.run(ctx, orphans, sig, grace)
}

// host is how Reclaim acts on processes; tests use a fake.
type host struct {
	kill      func(pid int, sig syscall.Signal) error // kill(2): a negative pid is a group
	pgid      func(pid int) (int, error)              // getpgid(2)
	self      int                                     // hsup's pid
	selfGroup int                                     // hsup's process group
}

type reclaimer struct {
	host
	same func(Member) bool
}

func (r reclaimer) run(ctx context.Context, orphans []Member, sig syscall.Signal, grace time.Duration) ReclaimReport {
	began := time.Now()
	var rep ReclaimReport
	live, skipped := r.split(unique(orphans))
	rep.Skipped = skipped
	r.signal(live, sig)
	r.signal(live, sigCont)
	left, gone := r.await(ctx, live, grace)
	rep.Stopped = gone
	if len(left) > 0 {
		rep.Killed = left
		r.signal(left, syscall.SIGKILL)
		rep.Left, _ = r.await(ctx, left, killWait)
	}
	rep.Took = time.Since(began)
	return rep
}

// split sorts members into those that are still the recorded process and
// those that are not.
func (r reclaimer) split(members []Member) (same, other []Member) {
	for _, m := range members {
		if r.same(m) {
			same = append(same, m)
		} else {
			other = append(other, m)
		}
	}
	return same, other
}

// await polls until none of members is the same process any more, d has
// passed, or ctx is done, and returns those still there and those gone.
func (r reclaimer) await(ctx context.Context, members []Member, d time.Duration) (left, gone []Member) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for last := false; ; {
		left, gone = r.split(members)
		if len(left) == 0 || last {
			return left, gone
		}
		select {
		case <-ctx.Done():
			last = true
		case <-timer.C:
			last = true
		case <-tick.C:
		}
	}
}

// signal sends sig to the groups of members that an identity-checked
// member anchors, then to each member that is still itself.
func (r reclaimer) signal(members []Member, sig syscall.Signal) {
	done := map[int]bool{}
	for _, m := range members {
		if g := m.Pgid; !done[g] {
			done[g] = true
			if r.anchored(g, members) {
				r.kill(-g, sig)
			}
		}
	}
	for _, m := range members {
		if r.mayKill(m.Pid) && r.same(m) {
			r.kill(m.Pid, sig)
		}
	}
}

// anchored reports whether group g may be signalled: one of members is in
// it now and is still the recorded process. A live member pins its group,
// so the group is the recorded one, not a reused number. The group is read
// before asking same: same true afterwards proves the read was of the
// recorded process.
func (r reclaimer) anchored(g int, members []Member) bool {
	if !r.mayKill(g) || g == r.selfGroup {
		return false
	}
	for _, m := range members {
		if m.Pgid != g {
			continue
		}
		if now, err := r.pgid(m.Pid); err == nil && now == g && r.same(m) {
			return true
		}
	}
	return false
}

// mayKill refuses pid 1 (kill(-1) would be every process), 0 (hsup's own
// group) and negatives, and hsup itself.
func (r reclaimer) mayKill(pid int) bool { return pid > 1 && pid != r.self }
