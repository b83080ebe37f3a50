//go:build unix

package diagnose

import (
	"fmt"
	"os/exec"
	"syscall"
)

// oNoFollow makes bundle file creation refuse a symlink planted in its place.
const oNoFollow = syscall.O_NOFOLLOW

// isolate runs a collector command in its own process group and kills the
// whole group on timeout, so a grandchild (a shell's sleep, sample's
// helpers) cannot outlive the capture.
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// sendSignal delivers the dump signal to the child.
func sendSignal(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("send %v to pid %d: %w", sig, pid, err)
	}
	return nil
}
