//go:build linux

package supervise

import "syscall"

// sysProcAttr puts the child in its own process group (so stop reaches
// every descendant) and has the kernel SIGKILL it if hsup dies, so a
// kill -9 of hsup never leaves an orphan holding the port.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
