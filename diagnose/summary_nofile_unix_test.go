//go:build unix

package diagnose

import (
	"context"
	"runtime"
	"testing"

	"github.com/hsup/hsup/fdlimit"
)

// TestCaptureNofileSource captures a real child that set its own limit
// (fdChildLimit) while hsup believes another one: Linux reports the
// child's own, read from /proc; macOS, which cannot read it, the one hsup
// was given, named as such.
func TestCaptureNofileSource(t *testing.T) {
	c := startFDChild(t)
	cfg, _ := testConfig(t)
	cfg.Nofile, cfg.NofileSource = 4096, fdlimit.SourceSet
	dir, _ := New(cfg).Capture(context.Background(), c.pid, PressureReason, c.start)
	if dir == "" {
		t.Fatal("Capture() wrote no bundle")
	}
	s := readSummary(t, dir)
	want, wantSource := uint64(fdChildLimit), fdlimit.SourceChild
	if runtime.GOOS != "linux" {
		want, wantSource = 4096, fdlimit.SourceSet
	}
	if s.NofileSoft == nil || *s.NofileSoft != want || s.NofileSource != wantSource {
		t.Fatalf("nofile_soft %v nofile_source %q, want %d %q", deref(s.NofileSoft), s.NofileSource, want, wantSource)
	}
}
