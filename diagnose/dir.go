package diagnose

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// errNoDir is Check's and Capture's answer when Config.Dir is empty.
var errNoDir = errors.New("no diagnostics directory configured: set --diag-dir")

// openBase opens the diagnostics directory, creating it (0700) when create
// is set and nothing is there, and refuses one another user could tamper
// with (see trust). The checks are made again on the directory actually
// opened, so a swap between the check and the open is refused too.
func openBase(base string, create bool) (*os.Root, error) {
	if base == "" {
		return nil, errNoDir
	}
	base = filepath.Clean(base)
	fi, err := os.Lstat(base)
	if errors.Is(err, fs.ErrNotExist) && create {
		if err = os.MkdirAll(base, 0o700); err != nil {
			return nil, fmt.Errorf("create diagnostics directory %q (set --diag-dir to a writable directory): %w", base, err)
		}
		fi, err = os.Lstat(base)
	}
	if err != nil {
		return nil, fmt.Errorf("diagnostics directory %q (set --diag-dir to a directory hsup's user owns): %w", base, err)
	}
	if err := trust(base, fi); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(base)
	if err != nil {
		return nil, fmt.Errorf("open diagnostics directory %q: %w", base, err)
	}
	opened, err := root.Stat(".")
	if err == nil && !os.SameFile(fi, opened) {
		err = errors.New("it was replaced while being opened")
	}
	if err == nil {
		err = trust(base, opened)
	}
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("open diagnostics directory %q: %w", base, err)
	}
	return root, nil
}

// trust refuses a diagnostics directory that is a symlink, not a
// directory, owned by another uid, or writable by its group or others:
// whoever can write there can remove, rename or plant bundles. fi comes
// from Lstat. The error is one line saying what is wrong and how to fix it.
func trust(base string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("diagnostics directory %s is a symlink: set --diag-dir to the real directory, "+
			"owned by hsup's user and writable only by it", base)
	case !fi.IsDir():
		return fmt.Errorf("diagnostics directory %s is not a directory (mode %v): "+
			"set --diag-dir to a directory only hsup's user can write", base, fi.Mode())
	}
	if uid, ok := foreignOwner(fi); ok {
		return fmt.Errorf("diagnostics directory %s is owned by uid %d, not hsup's uid %d: "+
			"chown it to uid %d or set --diag-dir to a directory hsup's user owns", base, uid, os.Geteuid(), os.Geteuid())
	}
	if othersCanWrite(fi) {
		return fmt.Errorf("diagnostics directory %s is writable by other users (mode %04o): "+
			"chmod 700 it or set --diag-dir to a directory only hsup's user can write", base, fi.Mode().Perm())
	}
	return nil
}
