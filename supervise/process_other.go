//go:build !linux

package supervise

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the child in process group pgid (its lifeline's; 0: its
// own). macOS has no parent-death signal: when hsup dies, the lifeline
// alone stops the group (launchd's own clean-up does not reach a group
// other than the job's).
func sysProcAttr(pgid int, _ syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pgid: pgid}
}

// waitAndClean reaps the child, then kills whatever is left of its process
// group (see the Linux version). Without waitid(WNOWAIT) the group is
// killed just after the reap; the pgid stays pinned while any member lives
// (the lifeline, when there is one). The fresh sweep is skipped: the
// child's pid is no longer pinned, and without a subreaper its orphans
// went to launchd; the loop sweeps the members it knew instead.
func waitAndClean(cmd *exec.Cmd, pgid int, _ func()) error {
	err := cmd.Wait()
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return err
}
