package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/diagnose"
)

// TestShowWedgeFirst: a bundle that names its kind of wedge says it in
// words on the first line of `hsup bundles show`; one without (an older
// hsup's) starts with the bundle line as before.
func TestShowWedgeFirst(t *testing.T) {
	words := "out of file descriptors (512 of 512, 508 on state.db), accept loop spinning at 85% CPU"
	s := &diagnose.Summary{Reason: "health", Cause: "health: 3 failed probes",
		Wedge: &diagnose.Wedge{Kind: "fd_exhausted", Kinds: []string{"fd_exhausted", "cpu_spin"}, Words: words + "\x1b[2J"}}
	for _, tt := range []struct {
		name string
		s    *diagnose.Summary
		want string
	}{
		{name: "wedge named", s: s, want: "wedge    " + words + "\uFFFD[2J (fd_exhausted, cpu_spin)\n"},
		{name: "no wedge", s: &diagnose.Summary{Reason: "health", Cause: "health"}, want: "bundle   /d/b1\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := formatShow(&out, saved("b1", "web", 7, listT0, tt.s), nil, time.UTC); err != nil {
				t.Fatal(err)
			}
			if first, _, _ := strings.Cut(out.String(), "\n"); first+"\n" != tt.want {
				t.Errorf("first line %q, want %q", first, tt.want)
			}
		})
	}
}
