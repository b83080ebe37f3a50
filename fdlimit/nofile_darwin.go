//go:build darwin

package fdlimit

import "golang.org/x/sys/unix"

// platformCap is kern.maxfilesperproc: setrlimit above it fails on macOS
// even when the hard limit says "unlimited".
func platformCap() uint64 {
	n, err := unix.SysctlUint32("kern.maxfilesperproc")
	if err != nil {
		return 0
	}
	return uint64(n)
}
