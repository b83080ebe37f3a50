//go:build !unix

package diagnose

import "io/fs"

// Ownership and permission bits mean nothing here; only the symlink and
// marker checks apply.

func foreignOwner(fs.FileInfo) (int, bool) { return -1, false }

func othersCanWrite(fs.FileInfo) bool { return false }
