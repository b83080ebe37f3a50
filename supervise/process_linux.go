//go:build linux

package supervise

import (
	"os/exec"
	"syscall"

	"github.com/hsup/hsup/reaper"
)

// sysProcAttr puts the child in process group pgid (its lifeline's; 0:
// its own), so stop reaches every member. No parent-death signal: it would
// kill the child the moment hsup dies, before the lifeline has read the
// tree, and a setsid'd worker of the child would escape to init unseen;
// the lifeline stops the child, with the grace, instead.
func sysProcAttr(pgid int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pgid: pgid}
}

// pidPinnedAtExit: waitAndClean's exited hook runs while the child is a
// zombie (waitid WNOWAIT), so its pid cannot name another process yet.
const pidPinnedAtExit = true

// waitAndClean waits for the child, kills whatever is left of its process
// group pgid (its lifeline included), then reaps it. Nothing of the group
// may outlive the child: a grandchild that ignored the stop signal, or one
// a crashed child left behind, would keep the port after the restart.
// Waiting for the exit first without reaping it (reaper.Exited) keeps the
// child a zombie while the group is killed, so neither its pid nor the
// pgid (pinned by the lifeline, or the child itself) can have been reused
// by an unrelated process.
//
// exited runs before the group kill, while the child's pid is still pinned
// (a zombie) and its orphans are already re-parented to hsup.
func waitAndClean(cmd *exec.Cmd, pgid int, exited func()) error {
	_ = reaper.Exited(cmd.Process.Pid) // whatever failed, cmd.Wait says it
	exited()
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return cmd.Wait()
}
