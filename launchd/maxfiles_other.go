//go:build !darwin

package launchd

// MaxFilesPerProc returns 0 (unknown) where there is no
// kern.maxfilesperproc: a plist generated on another system keeps the
// requested limit.
func MaxFilesPerProc() (uint64, error) {
	return 0, nil
}
