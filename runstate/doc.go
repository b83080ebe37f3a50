// Package runstate is one service's state directory: the lock that keeps
// a second hsup from running the same service, and the record of the
// child that lets the next hsup reclaim what an earlier one left behind.
//
// The layout, under the state directory (--state-dir, DefaultDir when not
// given) and the service name (--name, checked by ValidName):
//
//	<state dir>/<name>/          0700, owned by hsup's user (Open)
//	<state dir>/<name>/lock      flock(2)ed while an hsup runs the service,
//	                             holding that hsup's pid (Lock)
//	<state dir>/<name>/child.json  the running child and the processes hsup
//	                             knows of, replaced atomically (WriteRecord)
//
// The lock is an flock on a descriptor opened close-on-exec, so the kernel
// releases it however hsup ends (SIGKILL included) and no child inherits
// it. The lock file is never removed: removing a locked file lets a third
// process lock a new file of the same name.
//
// Reclaiming is split into a pure rule and an effect. Orphans sorts the
// recorded processes into orphans (alive, and the same process: pid and
// kernel start time match, since pids are reused) and stale entries, which
// are never touched. Reclaim stops the orphans as the lifeline would: the
// stop signal and SIGCONT to their process groups and to each of them, a
// grace period, then SIGKILL, re-checking every process's identity before
// every signal. The identity check is injected (package proctree in hsup),
// so the rule and the signalling are tested without a real process table.
package runstate
