//go:build !linux

package supervise

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the child in process group pgid (its lifeline's; 0: its
// own). When hsup dies, the lifeline stops the group (launchd's own
// clean-up does not reach a group other than the job's).
func sysProcAttr(pgid int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pgid: pgid}
}

// pidPinnedAtExit: the child is reaped before the exited hook runs, so its
// pid may already name another process: no fresh sweep of its tree.
const pidPinnedAtExit = false

// waitAndClean reaps the child, then kills whatever is left of its process
// group (see the Linux version). Without waitid(WNOWAIT) the group is
// killed just after the reap; the pgid stays pinned while any member lives
// (the lifeline, when there is one). exited runs before the group kill;
// its fresh sweep finds little here (without a subreaper the child's
// orphans went to launchd): the loop sweeps the members it knew too.
func waitAndClean(cmd *exec.Cmd, pgid int, exited func()) error {
	err := cmd.Wait()
	exited()
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return err
}
