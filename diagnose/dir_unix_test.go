//go:build unix

package diagnose

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// otherUID owns the directories of "another user" in these tests, which
// then need root.
const otherUID = 4242

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("chown to another uid needs root")
	}
}

// TestCheckRefusesUntrustedDir: a diagnostics directory another user can
// write, own or redirect is refused by Check with one line that says what
// is wrong and how to fix it, and Capture writes nothing into it.
func TestCheckRefusesUntrustedDir(t *testing.T) {
	me := strconv.Itoa(os.Geteuid())
	tests := []struct {
		name  string
		make  func(t *testing.T, dir string)
		want  string // with DIR for the directory
		gone  bool   // the path must still not exist afterwards
		owner bool   // needs root
	}{
		{name: "mode 0777", make: mkdirMode(0o777),
			want: "diagnostics directory DIR is writable by other users (mode 0777): chmod 700 it or set --diag-dir to a directory only hsup's user can write"},
		{name: "mode 0770", make: mkdirMode(0o770),
			want: "diagnostics directory DIR is writable by other users (mode 0770): chmod 700 it or set --diag-dir to a directory only hsup's user can write"},
		{name: "sticky 1777", make: mkdirMode(0o777 | os.ModeSticky),
			want: "diagnostics directory DIR is writable by other users (mode 0777): chmod 700 it or set --diag-dir to a directory only hsup's user can write"},
		{name: "another owner", owner: true, make: func(t *testing.T, dir string) {
			mkdirMode(0o700)(t, dir)
			if err := os.Chown(dir, otherUID, otherUID); err != nil {
				t.Fatal(err)
			}
		}, want: "diagnostics directory DIR is owned by uid 4242, not hsup's uid " + me + ": chown it to uid " + me +
			" or set --diag-dir to a directory hsup's user owns"},
		{name: "symlink", make: func(t *testing.T, dir string) {
			if err := os.Symlink(t.TempDir(), dir); err != nil {
				t.Fatal(err)
			}
		}, want: "diagnostics directory DIR is a symlink: set --diag-dir to the real directory, owned by hsup's user and writable only by it"},
		{name: "dangling symlink", gone: true, make: func(t *testing.T, dir string) {
			if err := os.Symlink(filepath.Join(filepath.Dir(dir), "target"), dir); err != nil {
				t.Fatal(err)
			}
		}, want: "diagnostics directory DIR is a symlink: set --diag-dir to the real directory, owned by hsup's user and writable only by it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.owner {
				needRoot(t)
			}
			cfg, spy := testConfig(t)
			tt.make(t, cfg.Dir)
			c := New(cfg)
			want := strings.ReplaceAll(tt.want, "DIR", cfg.Dir)
			if err := c.Check(); err == nil || err.Error() != want {
				t.Fatalf("Check() = %v\nwant %s", err, want)
			}
			dir, err := c.Capture(context.Background(), os.Getpid(), "health", time.Time{})
			if dir != "" || err == nil || !strings.Contains(err.Error(), want) || spy.last() != BundleFailed {
				t.Fatalf("Capture() = %q, %v (result %q); want no bundle and the same error", dir, err, spy.last())
			}
			target := cfg.Dir
			if tt.gone {
				target = filepath.Join(filepath.Dir(cfg.Dir), "target")
				if _, err := os.Stat(target); err == nil {
					t.Fatalf("%s was created through the symlink", target)
				}
				return
			}
			if got := entries(t, target); len(got) != 0 {
				t.Fatalf("%s holds %v after Check and Capture, want nothing", target, got)
			}
		})
	}
}

// mkdirMode makes dir with exactly mode, whatever the umask.
func mkdirMode(mode os.FileMode) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCheckAcceptsOwnDir: a directory hsup's user owns that only it can
// write is fine, whether hsup or the operator made it.
func TestCheckAcceptsOwnDir(t *testing.T) {
	for _, mode := range []os.FileMode{0o700, 0o750, 0o755} {
		cfg, _ := testConfig(t)
		mkdirMode(mode)(t, cfg.Dir)
		if err := New(cfg).Check(); err != nil {
			t.Errorf("mode %v: Check() = %v, want nil", mode, err)
		}
	}
}

// TestCaptureRefusesDirChangedAfterCheck: the checks hold for every
// capture, not only at start-up.
func TestCaptureRefusesDirChangedAfterCheck(t *testing.T) {
	cfg, spy := testConfig(t)
	c := New(cfg)
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cfg.Dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if dir, err := c.Capture(context.Background(), os.Getpid(), "health", time.Time{}); dir != "" || err == nil {
		t.Fatalf("Capture() = %q, %v; want no bundle in a world-writable directory", dir, err)
	}
	if spy.last() != BundleFailed {
		t.Fatalf("OnBundle result %q, want failed", spy.last())
	}
}

// TestScanSkipsImpostors: only written directories of hsup's uid holding a
// regular marker file count as bundles; retention neither counts nor
// removes anything else, even with a valid marker copied in.
func TestScanSkipsImpostors(t *testing.T) {
	cfg, _ := testConfig(t)
	cfg.Keep = 1
	cfg.Now = tickingClock(time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC), time.Second)
	c := New(cfg)
	written := captureN(t, c, 1)
	marker, err := os.ReadFile(filepath.Join(cfg.Dir, written[0], markerName))
	if err != nil {
		t.Fatal(err)
	}
	seq99 := []byte(`{"seq":99}`)
	impostors := map[string]func(dir string){
		"20991231T000000.000Z-pid1-link": func(dir string) {
			must(t, os.Symlink(filepath.Join(cfg.Dir, written[0]), dir))
		},
		"20991231T000000.000Z-pid2-markerlink": func(dir string) {
			must(t, os.Mkdir(dir, 0o700))
			must(t, os.Symlink(filepath.Join(cfg.Dir, written[0], markerName), filepath.Join(dir, markerName)))
		},
		"20991231T000000.000Z-pid3-garbage": func(dir string) {
			must(t, os.Mkdir(dir, 0o700))
			must(t, os.WriteFile(filepath.Join(dir, markerName), []byte("{garbage"), 0o600))
		},
		"20991231T000000.000Z-pid4-fifo": func(dir string) {
			must(t, os.Mkdir(dir, 0o700))
			must(t, syscall.Mkfifo(filepath.Join(dir, markerName), 0o600))
		},
		"20991231T000000.000Z-pid5-seqzero": func(dir string) {
			must(t, os.Mkdir(dir, 0o700))
			must(t, os.WriteFile(filepath.Join(dir, markerName), []byte(`{"seq":0}`), 0o600))
		},
		"20991231T000000.000Z-pid6-file": func(dir string) {
			must(t, os.WriteFile(dir, marker, 0o600))
		},
	}
	if os.Geteuid() == 0 {
		impostors["20991231T000000.000Z-pid7-foreign"] = func(dir string) {
			must(t, os.Mkdir(dir, 0o700))
			must(t, os.WriteFile(filepath.Join(dir, markerName), seq99, 0o600))
			must(t, os.Chown(dir, otherUID, otherUID))
		}
		impostors["20991231T000000.000Z-pid8-foreignmarker"] = func(dir string) {
			must(t, os.Mkdir(dir, 0o700))
			must(t, os.WriteFile(filepath.Join(dir, markerName), seq99, 0o600))
			must(t, os.Chown(filepath.Join(dir, markerName), otherUID, otherUID))
		}
	}
	for n, build := range impostors {
		build(filepath.Join(cfg.Dir, n))
	}
	more := captureN(t, c, 2)
	want := []string{seqName, more[1]}
	for n := range impostors {
		want = append(want, n)
	}
	if got := entries(t, cfg.Dir); !slices.Equal(got, sorted(want...)) {
		t.Fatalf("after 3 captures with Keep=1 among impostors: %v, want %v", got, sorted(want...))
	}
	if m := readMarkerFile(t, filepath.Join(cfg.Dir, more[1])); m.Seq != 3 {
		t.Fatalf("third bundle's seq %d, want 3: impostors' markers must not count", m.Seq)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
