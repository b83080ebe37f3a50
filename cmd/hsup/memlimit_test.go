package main

import (
	"context"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/hsup/hsup/softlimit"
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
		{name: "unset: the default", env: "", want: softlimit.Default.Floor},
		{name: "set: the environment wins", env: "64MiB", want: sentinel},
		{name: "off: the environment wins", env: "off", want: sentinel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tt.env)
			debug.SetMemoryLimit(sentinel)
			if owned := softMemoryLimit(); owned != (tt.env == "") {
				t.Errorf("softMemoryLimit() = %v with GOMEMLIMIT=%q: hsup keeps the limit only when it set it", owned, tt.env)
			}
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

// The keeper runs only when hsup set the limit; it starts at the floor
// and stops with its context.
func TestMemoryLimitKeeper(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	if as := memoryLimitKeeper(zap.NewNop(), false); as != nil {
		t.Fatalf("with GOMEMLIMIT set: %d actors, want none", len(as))
	}
	as := memoryLimitKeeper(zap.NewNop(), true)
	if len(as) != 1 {
		t.Fatalf("%d actors, want 1", len(as))
	}
	debug.SetMemoryLimit(1 << 40)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := as[0].run(ctx); err != nil {
		t.Fatalf("%s: %v", as[0].name, err)
	}
	if got := debug.SetMemoryLimit(-1); got != softlimit.Default.Floor {
		t.Errorf("limit %d after the keeper ran, want the floor %d", got, softlimit.Default.Floor)
	}
}
