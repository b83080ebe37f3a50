package diagnose

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestName(t *testing.T) {
	at := time.Date(2026, 11, 22, 12, 44, 7, 123456789, time.FixedZone("CET", 3600))
	tests := []struct {
		name   string
		reason string
		want   string
	}{
		{name: "plain", reason: "health", want: "20261122T114407.123Z-pid42-health"},
		{name: "underscore kept", reason: "fd_pressure", want: "20261122T114407.123Z-pid42-fd_pressure"},
		{name: "separators replaced", reason: "../x y", want: "20261122T114407.123Z-pid42-___x_y"},
		{name: "empty", reason: "", want: "20261122T114407.123Z-pid42-unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := name(at, 42, tt.reason)
			if got != tt.want {
				t.Fatalf("name() = %q, want %q", got, tt.want)
			}
			if !bundleName.MatchString(got) {
				t.Fatalf("name() = %q does not match the retention pattern", got)
			}
		})
	}
}

type dirEntry struct {
	name string
	dir  bool
}

func (e dirEntry) Name() string               { return e.name }
func (e dirEntry) IsDir() bool                { return e.dir }
func (e dirEntry) Type() fs.FileMode          { return map[bool]fs.FileMode{true: fs.ModeDir}[e.dir] }
func (e dirEntry) Info() (fs.FileInfo, error) { return nil, fs.ErrInvalid }

func TestObsolete(t *testing.T) {
	b1 := dirEntry{"20261122T114407.123Z-pid42-health", true}
	b2 := dirEntry{"20261122T114408.000Z-pid42-deep", true}
	b2dup := dirEntry{"20261122T114408.000Z-pid42-deep-2", true}
	b3 := dirEntry{"20261123T000000.000Z-pid7-fd_pressure", true}
	tests := []struct {
		name    string
		entries []fs.DirEntry
		keep    int
		want    []string
	}{
		{name: "under keep", entries: []fs.DirEntry{b1, b2}, keep: 2},
		{name: "oldest removed", entries: []fs.DirEntry{b3, b1, b2}, keep: 2, want: []string{b1.name}},
		{name: "suffixed bundles count", entries: []fs.DirEntry{b2dup, b3, b2, b1}, keep: 1, want: []string{b1.name, b2.name, b2dup.name}},
		{name: "foreign entries untouched", entries: []fs.DirEntry{
			b1, b2, dirEntry{"notes", true}, dirEntry{"20261122T114407.123Z-pid42-health.tar", false},
			dirEntry{"20261122T000000.000Z-pid1-link", false}, // a symlink: not a dir entry
		}, keep: 1, want: []string{b1.name}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := obsolete(tt.entries, tt.keep); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("obsolete() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDefaultDir(t *testing.T) {
	env := func(kv map[string]string) func(string) string {
		return func(k string) string { return kv[k] }
	}
	tests := []struct {
		name string
		goos string
		env  map[string]string
		home string
		want string
	}{
		{name: "linux xdg", goos: "linux", env: map[string]string{"XDG_STATE_HOME": "/var/lib/me"}, home: "/home/me", want: "/var/lib/me/hsup/diagnostics"},
		{name: "linux home", goos: "linux", home: "/home/me", want: "/home/me/.local/state/hsup/diagnostics"},
		{name: "linux relative xdg ignored", goos: "linux", env: map[string]string{"XDG_STATE_HOME": "state"}, home: "/home/me", want: "/home/me/.local/state/hsup/diagnostics"},
		{name: "darwin", goos: "darwin", env: map[string]string{"XDG_STATE_HOME": "/x"}, home: "/Users/me", want: "/Users/me/Library/Logs/hsup/diagnostics"},
		{name: "no home", goos: "linux", want: ""},
		{name: "no home darwin", goos: "darwin", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultDir(tt.goos, env(tt.env), tt.home); got != tt.want {
				t.Fatalf("DefaultDir() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPruneSparesCurrent: after a clock step back the newest bundle by
// name is not the one just written; that one must survive anyway.
func TestPruneSparesCurrent(t *testing.T) {
	base := t.TempDir()
	older := "20261122T114407.123Z-pid42-health"
	newer := "20261123T000000.000Z-pid42-health"
	for _, n := range []string{older, newer} {
		if err := os.Mkdir(filepath.Join(base, n), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := prune(base, 1, older)
	if err != nil || len(removed) != 0 {
		t.Fatalf("prune() = %v, %v; want nothing removed", removed, err)
	}
	removed, err = prune(base, 1, newer)
	if err != nil || len(removed) != 1 || removed[0] != older {
		t.Fatalf("prune() = %v, %v; want %s removed", removed, err, older)
	}
	if _, err := os.Stat(filepath.Join(base, older)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s still there: %v", older, err)
	}
}
