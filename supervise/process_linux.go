//go:build linux

package supervise

import (
	"errors"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysProcAttr puts the child in its own process group (so stop reaches
// every descendant) and has the kernel SIGKILL it if hsup dies, so a
// kill -9 of hsup never leaves an orphan holding the port.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// waitAndClean waits for the child, kills whatever is left of its process
// group, then reaps it. Nothing of the group may outlive the child: a
// grandchild that ignored the stop signal, or one a crashed child left
// behind, would keep the port after the restart. Waiting with WNOWAIT first
// keeps the leader a zombie while the group is killed, so its pid (the
// pgid) cannot have been reused by an unrelated process.
func waitAndClean(cmd *exec.Cmd) error {
	pid := cmd.Process.Pid
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	return cmd.Wait()
}
