package diagnose

import (
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
		})
	}
}

func TestObsolete(t *testing.T) {
	b1 := stored{name: "20261122T114407.123Z-pid42-health", seq: 1}
	b2 := stored{name: "20261122T114408.000Z-pid42-deep", seq: 2}
	b2dup := stored{name: "20261122T114408.000Z-pid42-deep-2", seq: 3}
	b4 := stored{name: "20261123T000000.000Z-pid7-fd_pressure", seq: 4}
	future := stored{name: "20991231T000000.000Z-pid1-health", seq: 2}  // renamed into the future
	stepped := stored{name: "20200101T000000.000Z-pid1-health", seq: 9} // written after the clock stepped back
	tests := []struct {
		name    string
		bundles []stored
		keep    int
		want    []string
	}{
		{name: "under keep", bundles: []stored{b1, b2}, keep: 2},
		{name: "lowest seq removed", bundles: []stored{b4, b1, b2}, keep: 2, want: []string{b1.name}},
		{name: "suffixed bundles count", bundles: []stored{b2dup, b4, b2, b1}, keep: 1, want: []string{b1.name, b2.name, b2dup.name}},
		{name: "future name does not save", bundles: []stored{future, b4, b2dup}, keep: 2, want: []string{future.name}},
		{name: "old name does not doom", bundles: []stored{stepped, b4, b2dup}, keep: 2, want: []string{b2dup.name}},
		{name: "equal seq by name", bundles: []stored{b2, future}, keep: 1, want: []string{b2.name}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := obsolete(tt.bundles, retention{keep: tt.keep}); !reflect.DeepEqual(got, tt.want) {
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
