package main

import (
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// TestSoftMemoryLimit: hsup sets its own soft memory limit through the
// API unless GOMEMLIMIT is set, and never through the environment (which
// the child inherits). test/e2e/memlimit_linux_test.go checks the child's
// side with a real hsup.
func TestSoftMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	const sentinel = 1 << 40 // a limit in force that a set GOMEMLIMIT must leave alone
	tests := []struct {
		name string
		env  string
		want int64
	}{
		{name: "unset: the default", env: "", want: defaultMemoryLimit},
		{name: "set: the environment wins", env: "64MiB", want: sentinel},
		{name: "off: the environment wins", env: "off", want: sentinel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tt.env)
			debug.SetMemoryLimit(sentinel)
			softMemoryLimit()
			if got := debug.SetMemoryLimit(-1); got != tt.want {
				t.Errorf("memory limit %d, want %d", got, tt.want)
			}
			// What the child gets is hsup's environment as it was.
			got := slices.DeleteFunc(childEnv(os.Environ()), func(kv string) bool { return !strings.HasPrefix(kv, "GOMEMLIMIT=") })
			if want := []string{"GOMEMLIMIT=" + tt.env}; !slices.Equal(got, want) {
				t.Errorf("the child's environment has %q, want %q", got, want)
			}
		})
	}
}
