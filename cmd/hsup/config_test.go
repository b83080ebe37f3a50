package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// The run flags become one settings value; these tests cover what the
// refusal table in settings_test.go does not: the --name=value words the
// generators pass on, that every duration flag has an owner that refuses a
// negative value, and that the generators use the settings they were given.

func TestReadSettingsRunArgs(t *testing.T) {
	t.Setenv("HSUP_STOP_GRACE", "20s")
	s, err := parse(t, "--health-interval=2s", "--nofile=8192", "--deep-url=")
	if err != nil {
		t.Fatal(err)
	}
	// In runFlags order, whether set on the command line or via HSUP_*.
	want := []string{"--nofile=8192", "--stop-grace=20s", "--health-interval=2s", "--deep-url="}
	if !slices.Equal(s.runArgs, want) {
		t.Fatalf("runArgs = %q, want %q", s.runArgs, want)
	}
	cmd := s.command("/usr/local/bin/hsup", "/bin/sleep", []string{"1"})
	if !slices.Equal(cmd.RunArgs, want) || cmd.StopGrace != s.stopGrace || cmd.Program != "/bin/sleep" {
		t.Fatalf("command = %+v, want the settings' run args and stop grace", cmd)
	}
}

func TestEveryNegativeDurationRefused(t *testing.T) {
	for _, f := range runFlags() {
		df, ok := f.(*cli.DurationFlag)
		if !ok {
			continue
		}
		t.Run(df.Name, func(t *testing.T) {
			_, err := parse(t, "--"+df.Name+"=-1s")
			assertUsageError(t, err, "--"+df.Name)
		})
	}
}

func TestHealthRefusalIsOneLine(t *testing.T) {
	// healthcheck.Config.Validate joins every problem; the CLI says the first.
	_, err := parse(t, "--health-interval=0s", "--health-failures=0", "--deep-timeout=0s")
	assertUsageError(t, err, "--health-interval")
}

func TestProbingOffIgnoresHealthValues(t *testing.T) {
	// Without --health-url no health value is used, so none is judged.
	s, err := parse(t, "--health-url=", "--health-interval=0s", "--health-failures=0", "--heartbeat-stale=1s")
	if err != nil || s.health.URL != "" {
		t.Fatalf("probing off: %+v, %v; want no refusal", s.health, err)
	}
}

func TestSystemdUnitDefaultName(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	var out, errb bytes.Buffer
	code := run([]string{"hsup", "systemd", "unit", "--user", "--install", "--stop-grace=20s", "--", "/bin/sh", "-c", "true"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// --help promises PROGRAM's base name, not hsup's.
	data, err := os.ReadFile(filepath.Join(home, ".config", "systemd", "user", "sh.service"))
	if err != nil {
		t.Fatalf("unit not written under PROGRAM's name: %v\n%s", err, out.String())
	}
	for _, line := range []string{"TimeoutStopSec=25s", "Description=hsup: sh"} {
		if !strings.Contains(string(data), "\n"+line+"\n") {
			t.Errorf("unit lacks %q:\n%s", line, data)
		}
	}
	// The unit always names its service (two units of one interpreter must
	// not share a lock) and its metrics port (nor one port).
	if !regexp.MustCompile(` run --stop-grace=20s --name=sh --metrics-addr=127\.0\.0\.1:94\d\d -- /`).Match(data) {
		t.Errorf("ExecStart does not pass the run flags and --name:\n%s", data)
	}
}

func TestDoctorInputFromSettings(t *testing.T) {
	s, err := parse(t, "--health-url=", "--stop-grace=3s", "--fd-restart=0.9", "--nofile=0")
	if err != nil {
		t.Fatal(err)
	}
	in := doctorInput(s)
	if in.HealthURL != "" || in.DeepURL != "" || in.StopGrace != s.stopGrace || in.FDRestart != 0.9 || in.NofileWant != 0 {
		t.Fatalf("doctor input = %+v, want the settings' values", in)
	}
}

// assertUsageError wants one line, exit 2, naming flag.
func assertUsageError(t *testing.T, err error, flag string) {
	t.Helper()
	var ec cli.ExitCoder
	if !errors.As(err, &ec) || ec.ExitCode() != 2 || !strings.Contains(err.Error(), flag) ||
		strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want one line, exit 2, naming %s", err, flag)
	}
}
