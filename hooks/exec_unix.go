//go:build unix

package hooks

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// isolate starts cmd as the leader of a process group of its own, which
// its cancellation SIGKILLs as a whole: a shell's children die with it.
// (It runs before the leader is reaped, so the group's id is still its.)
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
}

// killGroup SIGKILLs what is left of the group led by pid, whose leader
// has been reaped. A member left behind keeps the group's id from being
// reused; with none left the kill finds no group (ESRCH), unless the pid
// came round again as a new group leader within these microseconds.
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}
