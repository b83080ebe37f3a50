//go:build !linux

package supervise

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the child in its own process group. macOS has no
// parent-death signal; under launchd the job's process group is cleaned up
// by launchd itself when hsup exits.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// waitAndClean reaps the child, then kills whatever is left of its process
// group (see the Linux version). Without waitid(WNOWAIT) the group is
// killed just after the reap; the pgid stays pinned while any member lives.
func waitAndClean(cmd *exec.Cmd) error {
	err := cmd.Wait()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	return err
}
