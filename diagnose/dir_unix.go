//go:build unix

package diagnose

import (
	"io/fs"
	"os"
	"syscall"
)

// foreignOwner returns the owner of fi and true when it is not hsup's
// effective uid.
func foreignOwner(fi fs.FileInfo) (uid int, foreign bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return -1, false
	}
	return int(st.Uid), int(st.Uid) != os.Geteuid()
}

// othersCanWrite says whether fi's group or others may write it.
func othersCanWrite(fi fs.FileInfo) bool { return fi.Mode().Perm()&0o022 != 0 }
