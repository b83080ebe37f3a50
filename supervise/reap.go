package supervise

import "sync"

// The PID 1 reaper must not steal the exit status of a child that hsup
// waits for itself (the supervised child, and collectors started with
// os/exec). It reaps only processes hsup does not own: the owned set covers
// the supervised child, and anything in hsup's own process group (os/exec
// children) is left alone. Start holds the lock from fork to registration,
// so a child that dies at once is never reaped by mistake.
var reaper struct {
	sync.Mutex
	owned map[int]bool
}

func reaperHold() func() {
	reaper.Lock()
	return reaper.Unlock
}

// reaperOwn is called with the lock held (between reaperHold and unlock).
func reaperOwn(pid int) {
	if reaper.owned == nil {
		reaper.owned = make(map[int]bool)
	}
	reaper.owned[pid] = true
}

func reaperDisown(pid int) {
	reaper.Lock()
	delete(reaper.owned, pid)
	reaper.Unlock()
}

// mayReap is the pure rule: reap pid unless hsup owns it or it shares hsup's
// process group (an os/exec child whose Wait is pending).
func mayReap(pid, pgrp, ownPgrp int, owned map[int]bool) bool {
	return !owned[pid] && pgrp != ownPgrp
}
