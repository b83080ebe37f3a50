package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/urfave/cli/v2"
	"go.uber.org/zap"

	"github.com/hsup/hsup/hooks"
	"github.com/hsup/hsup/supervise"
)

// hookDir holds an executable hook "notify" and a plain file "plain",
// and is put first on PATH.
func hookDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"notify": 0o755, "plain": 0o644} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

func TestReadHooks(t *testing.T) {
	dir := hookDir(t)
	notify := filepath.Join(dir, "notify")
	tests := []struct {
		name    string
		args    []string
		env     string // HSUP_ON_EVENT
		want    []string
		timeout time.Duration
		says    string
	}{
		{name: "none", want: nil, timeout: 10 * time.Second},
		{name: "absolute and on PATH, repeated", args: []string{"--on-event=" + notify, "--on-event", "notify"},
			want: []string{notify, notify}, timeout: 10 * time.Second},
		{name: "from the environment, comma-separated", env: notify + ",notify", want: []string{notify, notify}, timeout: 10 * time.Second},
		{name: "timeout", args: []string{"--on-event=notify", "--on-event-timeout=2s"}, want: []string{notify}, timeout: 2 * time.Second},
		{name: "missing", args: []string{"--on-event=nope-not-here"}, says: `--on-event: program "nope-not-here" not found`},
		{name: "not executable", args: []string{"--on-event=" + filepath.Join(dir, "plain")}, says: "cannot be executed"},
		{name: "a directory", args: []string{"--on-event=" + dir}, says: "is a directory"},
		{name: "zero timeout", args: []string{"--on-event-timeout=0s"}, says: "--on-event-timeout=0s: give a positive bound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("HSUP_ON_EVENT", tt.env)
			}
			s, err := parse(t, tt.args...)
			if tt.says != "" {
				var ec cli.ExitCoder
				if !errors.As(err, &ec) || ec.ExitCode() != 2 || !strings.Contains(err.Error(), tt.says) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want one line, exit 2, saying %q", err, tt.says)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.hooks.programs, tt.want) || s.hooks.timeout != tt.timeout {
				t.Errorf("hooks = %+v, want %q, %v", s.hooks, tt.want, tt.timeout)
			}
		})
	}
}

// A generated unit passes each --on-event as a word of its own, by the
// absolute path found now.
func TestRunArgsRepeatOnEvent(t *testing.T) {
	notify := filepath.Join(hookDir(t), "notify")
	s, err := parse(t, "--on-event=notify", "--on-event="+notify, "--on-event-timeout=3s")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--on-event=" + notify, "--on-event=" + notify, "--on-event-timeout=3s"}
	if !slices.Equal(s.runArgs, want) {
		t.Errorf("runArgs = %q, want %q", s.runArgs, want)
	}
}

func TestHookSet(t *testing.T) {
	off := newHooks(settings{name: "web"}, zap.NewNop())
	off.observe(supervise.ChildStarted{Pid: 1, Restart: true}) // no hooks: nothing to do, no panic
	if off.collectors() != nil || off.companions() != nil {
		t.Errorf("without --on-event: collectors %v, companions %v; want none", off.collectors(), off.companions())
	}
	on := newHooks(settings{name: "web", hooks: hookSettings{programs: []string{"/bin/true"}, timeout: time.Second}}, zap.NewNop())
	if got := len(on.companions()); got != 1 {
		t.Errorf("%d companions, want the runner", got)
	}
	want := len(hooks.Names()) * len(hooks.Results())
	if n := testutil.CollectAndCount(on.runs, "hsup_hook_runs_total"); n != want {
		t.Errorf("%d series of hsup_hook_runs_total, want every event and result at 0 (%d)", n, want)
	}
	on.observe(supervise.ChildStarted{Pid: 2, Restart: true}) // queued, never run: Run is not called
	on.observe(supervise.ChildStarted{Pid: 3})                // hsup's first child: no hook
}
