package main

import (
	"errors"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// parse runs readSettings over `run` flags the way the CLI does.
func parse(t *testing.T, args ...string) (settings, error) {
	t.Helper()
	var got settings
	var err error
	app := &cli.App{Commands: []*cli.Command{{Name: "run", Flags: runFlags(), Action: func(c *cli.Context) error {
		got, err = readSettings(c)
		return nil
	}}}}
	if runErr := app.Run(append([]string{"hsup", "run"}, args...)); runErr != nil {
		t.Fatalf("flag parsing: %v", runErr)
	}
	return got, err
}

func TestReadSettingsDefaults(t *testing.T) {
	s, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	if s.nofile != 4096 || s.stopSignal != syscall.SIGTERM || s.stopGrace != 10*time.Second ||
		s.health.DeepURL != "http://127.0.0.1:8787/health?deep=1" || s.metricsAddr != "127.0.0.1:9464" || s.fdWarn != 0.8 {
		t.Fatalf("defaults = %+v", s)
	}
}

func TestReadSettingsRefusals(t *testing.T) {
	tests := []struct {
		name string
		args []string
		says string
	}{
		{name: "restart policy", args: []string{"--restart=sometimes"}, says: "--restart"},
		{name: "negative duration", args: []string{"--stop-grace=-1s"}, says: "--stop-grace"},
		{name: "zero interval", args: []string{"--health-interval=0s"}, says: "--health-interval"},
		{name: "backoff max below min", args: []string{"--backoff-min=5s", "--backoff-max=1s"}, says: "--backoff-max"},
		{name: "unknown signal", args: []string{"--stop-signal=NOPE"}, says: "--stop-signal"},
		{name: "a stop signal that stops", args: []string{"--stop-signal=STOP"}, says: "--stop-signal"},
		{name: "stdin", args: []string{"--stdin=tty"}, says: "--stdin"},
		{name: "malformed URL", args: []string{"--health-url=htp:/x"}, says: "--health-url"},
		{name: "stale below interval", args: []string{"--health-interval=30s"}, says: "--heartbeat-stale"},
		{name: "fraction", args: []string{"--fd-warn=1.5"}, says: "--fd-warn"},
		{name: "metrics address", args: []string{"--metrics-addr=9464"}, says: "--metrics-addr"},
		{name: "log level", args: []string{"--log-level=loud"}, says: "--log-level"},
		{name: "log size", args: []string{"--log-max-size=0"}, says: "--log-max-size"},
		{name: "log keep", args: []string{"--log-keep=0"}, says: "--log-keep"},
		{name: "one file for both", args: []string{"--log-file=/tmp/x.log", "--output-file=/tmp/x.log"}, says: "--output-file"},
		{name: "one file, two spellings", args: []string{"--log-file=/tmp/../tmp/x.log", "--output-file=/tmp/./x.log"}, says: "--output-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.args...)
			var ec cli.ExitCoder
			if !errors.As(err, &ec) || ec.ExitCode() != 2 || !strings.Contains(err.Error(), tt.says) ||
				strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line, exit 2, naming %s", err, tt.says)
			}
		})
	}
}

func TestReadSettingsProbingOff(t *testing.T) {
	s, err := parse(t, "--health-url=", "--deep-url=http://x/ignored")
	if err != nil || s.health.URL != "" || s.health.DeepURL != "" {
		t.Fatalf("health off: %+v, %v; want no cheap and no deep probe", s.health, err)
	}
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want syscall.Signal
		bad  bool
	}{
		{in: "", want: 0},
		{in: "TERM", want: syscall.SIGTERM},
		{in: "sigusr1", want: syscall.SIGUSR1},
		{in: "SIGQUIT", want: syscall.SIGQUIT},
		{in: "9", want: syscall.SIGKILL},
		{in: "BOGUS", bad: true},
		{in: "0", bad: true},
		{in: "99", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSignal("stop-signal", tt.in)
			if (err != nil) != tt.bad || got != tt.want {
				t.Fatalf("parseSignal(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
}

func TestChildEnv(t *testing.T) {
	got := childEnv([]string{"PATH=/bin", "NOTIFY_SOCKET=/run/n", "WATCHDOG_USEC=1", "WATCHDOG_PID=3",
		"HSUP_SUPERVISED=0", "INVOCATION_ID=abc"})
	want := []string{"PATH=/bin", "INVOCATION_ID=abc", "HSUP_SUPERVISED=1"}
	if !slices.Equal(got, want) {
		t.Fatalf("childEnv = %q, want %q", got, want)
	}
}

// Each service gets its own diagnostics directory under the default, so
// two services never prune each other's bundles; --diag-dir is taken as
// given. Output files are made absolute.
func TestReadSettingsPerService(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/var/state")
	s, err := parse(t, "--name=webui", "--output-file=out.log")
	if err != nil {
		t.Fatal(err)
	}
	if want := "/var/state/hsup/diagnostics/webui"; runtime.GOOS == "linux" && s.diagDir != want {
		t.Errorf("diagDir = %q, want %q", s.diagDir, want)
	}
	if !filepath.IsAbs(s.files.output) || filepath.Base(s.files.output) != "out.log" || s.files.maxMiB != 10 || s.files.keep != 5 {
		t.Errorf("files = %+v, want an absolute output.log, 10 MiB, keep 5", s.files)
	}
	s, err = parse(t, "--name=webui", "--diag-dir=/srv/bundles")
	if err != nil || s.diagDir != "/srv/bundles" {
		t.Errorf("diagDir = %q (%v), want --diag-dir as given", s.diagDir, err)
	}
}
