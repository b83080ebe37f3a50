//go:build !linux

package supervise

import "syscall"

// sysProcAttr puts the child in its own process group. macOS has no
// parent-death signal; under launchd the job's process group is cleaned up
// by launchd itself when hsup exits.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
