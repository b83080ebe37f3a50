package observe

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
)

// wedge flips noaccept and returns the indexes of the capturing line, the
// bundle line and the replacement's "child starting" line.
func (d *demo) wedge(t *testing.T) (capturing, bundle, starting int) {
	t.Helper()
	from := len(d.p.Lines())
	d.flip(t, "noaccept")
	_, capturing = d.p.WaitLine(t, from, restartWait, "child capturing", hsuptest.State("capturing"))
	_, starting = d.p.WaitLine(t, capturing, restartWait, "the replacement's child starting", hsuptest.State("starting"))
	lines := d.p.Lines()
	bundle = -1
	for i := capturing; i < starting; i++ {
		if isBundleLine(lines[i]) {
			if bundle >= 0 {
				t.Errorf("two bundle lines between capturing and starting: %v and %v", lines[bundle], lines[i])
			}
			bundle = i
		}
	}
	if bundle < 0 {
		t.Fatalf("no bundle line before the replacement's child starting; lines from capturing: %v", lines[capturing:starting+1])
	}
	return capturing, bundle, starting
}

// TestLeakThenWedgeBundle: 300 leaked state.db handles then a wedge give
// exactly one bundle, logged before the replacement starts, that names the
// state file, with lsof and thread listings, private modes.
func TestLeakThenWedgeBundle(t *testing.T) {
	t.Parallel()
	d := startDemo(t, nil)
	d.flip(t, "leak?n=300")
	capturing, bi, _ := d.wedge(t)
	lines := d.p.Lines()
	if r := lines[capturing].Str("reason"); r != "health" {
		t.Errorf("capturing reason %q, want health", r)
	}
	bl := lines[bi]
	if bl.Msg() != "diagnostics bundle written" || bl.Str("result") != "ok" {
		t.Errorf("bundle line %v, want \"diagnostics bundle written\" result ok", bl)
	}
	dir := bl.Str("dir")
	if got := bundles(t, d.diag); len(got) != 1 || got[0] != filepath.Base(dir) {
		t.Fatalf("bundle dirs %v, want exactly [%s]", got, filepath.Base(dir))
	}
	s := readSummary(t, dir)
	if n := s.topCount(d.stateDB(t)); n < 300 {
		t.Errorf("top_files count of %s = %d, want >= 300; top_files %+v", d.stateDB(t), n, s.TopFiles)
	}
	if s.FDSource != "lsof" || s.Reason != "health" {
		t.Errorf("fd_source %q reason %q, want lsof and health", s.FDSource, s.Reason)
	}
	mustExist(t, filepath.Join(dir, "lsof.txt"))
	mustExist(t, filepath.Join(dir, "threads.txt"))
	checkModes(t, dir)
	// The replacement is healthy and no second bundle appeared meanwhile.
	d.p.WaitLine(t, bi, startWait, "replacement running", hsuptest.State("running"))
	if got := bundles(t, d.diag); len(got) != 1 {
		t.Errorf("bundle dirs after the restart %v, want one", got)
	}
}

// checkModes wants the bundle dir 0700 and every file in it 0600.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o700 {
		t.Errorf("bundle dir mode %o, want 700", m)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if !info.Mode().IsRegular() || info.Mode().Perm() != 0o600 {
			t.Errorf("bundle file %s mode %v, want a regular file 0600", e.Name(), info.Mode())
		}
	}
}

// TestBundleRetention: --diag-keep=2 over three restarts keeps the two
// newest bundles. Each wedge comes after the replacement ran healthy for
// longer than --backoff-reset, so each bundle begins a restart streak of
// its own (the first bundle of a streak among the newest is kept as well:
// test/e2e TestRetentionKeepsFirstOfStreak).
func TestBundleRetention(t *testing.T) {
	t.Parallel()
	d := startDemo(t, map[string]string{"diag-keep": "2", "backoff-reset": "100ms"})
	var dirs []string
	for range 3 {
		_, bi, si := d.wedge(t)
		dirs = append(dirs, filepath.Base(d.p.Lines()[bi].Str("dir")))
		d.p.WaitLine(t, si, startWait, "replacement running", hsuptest.State("running"))
	}
	got := bundles(t, d.diag)
	if len(got) != 2 || got[0] != dirs[1] || got[1] != dirs[2] {
		t.Errorf("bundle dirs %v, want the newest two of %v", got, dirs)
	}
}

// TestHangingCollector: an lsof that hangs is cut at --diag-timeout, the
// summary says so, and the restart is not held up.
func TestHangingCollector(t *testing.T) {
	t.Parallel()
	bin := t.TempDir()
	script := "#!/bin/sh\nsleep 60\n"
	if err := os.WriteFile(filepath.Join(bin, "lsof"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	d := startDemo(t, map[string]string{"diag-timeout": "1s"}, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	ci, bi, si := d.wedge(t)
	lines := d.p.Lines()
	// diag-timeout 1s + collector abandon grace ~1s + stop (the demo app
	// stops at once; grace 2s) + backoff <= 0.5s, plus margin.
	if took := ts(t, lines[si]).Sub(ts(t, lines[ci])); took > 6*time.Second {
		t.Errorf("restart %v after capturing began, want within diag-timeout + stop + margin (6s)", took)
	}
	s := readSummary(t, lines[bi].Str("dir"))
	lsof, ok := s.Collectors["lsof"]
	if !ok || lsof.OK || lsof.Error == "" {
		t.Errorf("summary lsof collector %+v (present %v), want failed with an error", lsof, ok)
	}
	if runtime.GOOS == "linux" && s.FDSource != "proc" {
		t.Errorf("fd_source %q, want the /proc fallback", s.FDSource)
	}
}

// TestUnusableDiagDir: a --diag-dir that is a regular file costs one
// warning, and restarts still happen.
func TestUnusableDiagDir(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDemo(t, map[string]string{"diag-dir": file})
	from := len(d.p.Lines())
	d.flip(t, "noaccept")
	// No usable directory means no capturer: the degraded child goes straight to stopping.
	stop, ci := d.p.WaitLine(t, from, restartWait, "child stopping", hsuptest.State("stopping"))
	if stop.Str("reason") != "health" {
		t.Fatalf("stopping because %q, want health", stop.Str("reason"))
	}
	_, si := d.p.WaitLine(t, ci, restartWait, "restart despite the bad --diag-dir", hsuptest.State("starting"))
	d.p.WaitLine(t, si, startWait, "replacement running", hsuptest.State("running"))
	var warns []hsuptest.Line
	for _, l := range d.p.Lines() {
		if l.Str("level") == "warn" && mentions(l, file) {
			warns = append(warns, l)
		}
	}
	if len(warns) != 1 {
		t.Errorf("%d warnings naming %s, want exactly one:\n%v", len(warns), file, warns)
	}
}

// mentions reports whether any string field of l contains s.
func mentions(l hsuptest.Line, s string) bool {
	for _, v := range l {
		if str, ok := v.(string); ok && strings.Contains(str, s) {
			return true
		}
	}
	return false
}
