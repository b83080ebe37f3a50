//go:build !unix

package runstate

import (
	"errors"
	"os"
	"syscall"
)

// sigCont does not exist here; nothing is signalled anyway.
const sigCont = syscall.Signal(0)

// thisHost signals nothing: there is no kill(2) or process group here.
func thisHost() host {
	unsupported := func(int, syscall.Signal) error { return errors.ErrUnsupported }
	return host{
		kill:      unsupported,
		pgid:      func(int) (int, error) { return 0, errors.ErrUnsupported },
		self:      os.Getpid(),
		selfGroup: -1,
	}
}
