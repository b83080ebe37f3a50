//go:build linux

package main

import (
	"context"
	"debug/buildinfo"
	"testing"
	"time"
)

// TestFloor builds the floor as the memory part does and scrapes it once:
// the overlay must have linked hsup's dependencies (its build info lists
// their modules), and it must answer /metrics.
func TestFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release-style binary (-short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	bin, err := buildFloor(ctx, tmp)
	if err != nil {
		t.Fatal(err)
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]bool{}
	for _, d := range info.Deps {
		mods[d.Path] = true
	}
	for _, m := range []string{"go.uber.org/zap", "howett.net/plist", "github.com/urfave/cli/v2", "github.com/coreos/go-systemd/v22"} {
		if !mods[m] {
			t.Errorf("the floor does not link %s (hsup does): the overlay was not applied", m)
		}
	}
	e, s, err := floorEntrant(ctx, bin, tmp)
	if s != nil {
		defer s.stop()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := e.query(ctx); err != nil {
		t.Fatalf("scrape the floor: %v", err)
	}
}
