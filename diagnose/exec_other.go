//go:build !unix

package diagnose

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
)

const oNoFollow = 0

func isolate(*exec.Cmd) {}

func sendSignal(pid int, sig syscall.Signal) error {
	return fmt.Errorf("send %v to pid %d: %w", sig, pid, errors.ErrUnsupported)
}
