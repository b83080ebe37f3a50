//go:build darwin

package launchd

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// MaxFilesPerProc reads this machine's kern.maxfilesperproc, the most
// files a process may open and so the highest NumberOfFiles a plist may
// ask for.
func MaxFilesPerProc() (uint64, error) {
	n, err := unix.SysctlUint32("kern.maxfilesperproc")
	if err != nil {
		return 0, fmt.Errorf("read kern.maxfilesperproc: %w", err)
	}
	return uint64(n), nil
}
