//go:build unix

package runstate

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses a service directory owned by another uid, or one that
// group or others may write.
func checkOwner(path string, fi fs.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := os.Geteuid(); int(st.Uid) != uid {
			return fmt.Errorf("state dir: %s is owned by uid %d, not by this hsup's uid %d; chown it or give --state-dir another directory", path, st.Uid, uid)
		}
	}
	return checkMode(path, fi)
}
