//go:build linux

package supervise

import (
	"errors"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysProcAttr puts the child in process group pgid (its lifeline's; 0:
// its own), so stop reaches every member, and has the kernel send it the
// stop signal the moment hsup dies. The lifeline then stops the rest of
// the group, with the grace and the SIGKILL after it.
func sysProcAttr(pgid int, stop syscall.Signal) *syscall.SysProcAttr {
	if stop == 0 {
		stop = syscall.SIGKILL
	}
	return &syscall.SysProcAttr{Setpgid: true, Pgid: pgid, Pdeathsig: stop}
}

// waitAndClean waits for the child, kills whatever is left of its process
// group pgid (its lifeline included), then reaps it. Nothing of the group
// may outlive the child: a grandchild that ignored the stop signal, or one
// a crashed child left behind, would keep the port after the restart.
// Waiting with WNOWAIT first keeps the child a zombie while the group is
// killed, so neither its pid nor the pgid (pinned by the lifeline, or the
// child itself) can have been reused by an unrelated process.
//
// sweep runs between the group kill and the reap: the child's pid is still
// pinned (a zombie), and its orphans are already re-parented to hsup.
func waitAndClean(cmd *exec.Cmd, pgid int, sweep func()) error {
	pid := cmd.Process.Pid
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	sweep()
	return cmd.Wait()
}
