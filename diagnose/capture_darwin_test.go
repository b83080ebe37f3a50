//go:build darwin

package diagnose

import "testing"

// checkProcFallback: macOS has no /proc, so without lsof there is no
// descriptor listing at all.
func checkProcFallback(t *testing.T, dir string, s Summary, _ string, _ int) {
	t.Helper()
	if s.FDSource != "" || len(s.TopFiles) != 0 {
		t.Fatalf("fd_source %q top_files %v, want none without lsof on macOS", s.FDSource, s.TopFiles)
	}
	mustNotExist(t, dir, "fds.txt")
}
