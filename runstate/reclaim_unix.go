//go:build unix

package runstate

import (
	"os"
	"syscall"
)

// sigCont wakes a stopped process so that it can act on the stop signal.
const sigCont = syscall.SIGCONT

func thisHost() host {
	return host{
		kill:      syscall.Kill,
		pgid:      syscall.Getpgid,
		self:      os.Getpid(),
		selfGroup: syscall.Getpgrp(),
	}
}
