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

// st is a stored bundle of service "web" without a streak.
func st(name string, seq uint64) stored {
	return stored{name: name, m: marker{Seq: seq, Service: "web"}}
}

// inStreak is b with streak id.
func inStreak(b stored, id string) stored { b.m.Streak = id; return b }

// of is b of another service.
func of(b stored, service string) stored { b.m.Service = service; return b }

func TestObsolete(t *testing.T) {
	b1 := st("20261122T114407.123Z-pid42-health", 1)
	b2 := st("20261122T114408.000Z-pid42-deep", 2)
	b2dup := st("20261122T114408.000Z-pid42-deep-2", 3)
	b4 := st("20261123T000000.000Z-pid7-fd_pressure", 4)
	future := st("20991231T000000.000Z-pid1-health", 2)  // renamed into the future
	stepped := st("20200101T000000.000Z-pid1-health", 9) // written after the clock stepped back
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

		{name: "other services neither counted nor removed",
			bundles: []stored{of(b1, "api"), of(b2, "api"), b2dup, b4}, keep: 2},
		{name: "other service's old bundles stay while ours go",
			bundles: []stored{of(b1, "api"), b2, b2dup, b4}, keep: 1, want: []string{b2.name, b2dup.name}},
		{name: "bundles without a service are not ours",
			bundles: []stored{of(b1, ""), b2, b2dup}, keep: 1, want: []string{b2.name}},

		{name: "first of a streak kept next to the newest",
			bundles: []stored{inStreak(b1, "r/1"), inStreak(b2, "r/1"), inStreak(b2dup, "r/1"), inStreak(b4, "r/1")},
			keep:    2, want: []string{b2.name}},
		{name: "first of a streak kept with keep 1",
			bundles: []stored{inStreak(b1, "r/1"), inStreak(b2, "r/1"), inStreak(b2dup, "r/1"), inStreak(b4, "r/1")},
			keep:    1, want: []string{b2.name, b2dup.name}},
		{name: "a streak with no bundle among the newest loses its first too",
			bundles: []stored{inStreak(b1, "r/1"), inStreak(b2, "r/1"), inStreak(b2dup, "r/3"), inStreak(b4, "r/3")},
			keep:    1, want: []string{b1.name, b2.name}},
		{name: "each streak among the newest keeps its first",
			bundles: []stored{inStreak(b1, "r/1"), inStreak(b2, "r/1"), inStreak(b2dup, "r/4"), inStreak(b4, "r/4"),
				inStreak(stepped, "r/1")},
			keep: 2, want: []string{b2.name}},
		{name: "warning bundles (no streak) go by age only",
			bundles: []stored{b1, b2, inStreak(b2dup, "r/2"), b4}, keep: 1, want: []string{b1.name, b2.name, b2dup.name}},
		{name: "same streak id of another service is not ours",
			bundles: []stored{of(inStreak(b1, "r/1"), "api"), inStreak(b2, "r/1"), inStreak(b2dup, "r/1"), inStreak(b4, "r/1")},
			keep:    1, want: []string{b2dup.name}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := obsolete(tt.bundles, retention{keep: tt.keep, service: "web"}); !reflect.DeepEqual(got, tt.want) {
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
