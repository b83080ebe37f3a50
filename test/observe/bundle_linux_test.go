package observe

import (
	"os"
	"path/filepath"
	"testing"
)

// TestBundleWithoutLsof: with no lsof on PATH the descriptor listing comes
// from /proc (Linux only: macOS has no /proc), and top_files is still right.
func TestBundleWithoutLsof(t *testing.T) {
	t.Parallel()
	d := startDemo(t, nil, "PATH="+t.TempDir())
	d.flip(t, "leak?n=300")
	_, bi, _ := d.wedge(t)
	dir := d.p.Lines()[bi].Str("dir")
	s := readSummary(t, dir)
	if s.FDSource != "proc" {
		t.Errorf("fd_source %q, want proc", s.FDSource)
	}
	if n := s.topCount(d.stateDB(t)); n < 300 {
		t.Errorf("top_files count of %s = %d, want >= 300; top_files %+v", d.stateDB(t), n, s.TopFiles)
	}
	mustExist(t, filepath.Join(dir, "fds.txt"))
	if _, err := os.Stat(filepath.Join(dir, "lsof.txt")); err == nil {
		t.Errorf("lsof.txt written without lsof on PATH")
	}
	if _, ok := s.Collectors["lsof"]; ok {
		t.Errorf("summary lists an lsof collector without lsof on PATH: %+v", s.Collectors)
	}
}
