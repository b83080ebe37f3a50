package main

import (
	"bytes"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestUsageHint(t *testing.T) {
	flags := []cli.Flag{
		&cli.DurationFlag{Name: "health-interval", EnvVars: []string{"HSUP_HEALTH_INTERVAL"}},
		&cli.StringFlag{Name: "health-url"},
		&cli.BoolFlag{Name: "pprof"},
		&cli.IntFlag{Name: "health-failures"},
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{name: "bare number after =", args: []string{"--health-interval=5", "--", "x"},
			want: "--health-interval=5: a duration needs a unit: use 5s"},
		{name: "bare number as next word", args: []string{"-health-interval", "1.5"},
			want: "--health-interval=1.5: a duration needs a unit: use 1.5s"},
		{name: "bare number in the environment", env: map[string]string{"HSUP_HEALTH_INTERVAL": "5"},
			want: "HSUP_HEALTH_INTERVAL=5 (--health-interval): a duration needs a unit: use 5s"},
		{name: "the environment is read first, as the parser does", args: []string{"--helth-url=x"},
			env:  map[string]string{"HSUP_HEALTH_INTERVAL": "5"},
			want: "HSUP_HEALTH_INTERVAL=5 (--health-interval): a duration needs a unit: use 5s"},
		{name: "unknown flag, one letter off", args: []string{"--pprof", "--helth-url=http://h/"},
			want: "unknown flag --helth-url: did you mean --health-url?"},
		{name: "unknown flag, nothing close", args: []string{"--zzz"}, want: "unknown flag --zzz"},
		{name: "an int flag is not a duration", args: []string{"--health-failures", "5", "--health-interval", "5s"}},
		{name: "zero needs no unit", args: []string{"--health-interval=0"}},
		{name: "a bool flag takes no next word", args: []string{"--pprof", "5"}},
		{name: "stops at --", args: []string{"--", "--health-interval=5"}},
		{name: "stops at the program", args: []string{"prog", "--helth-url=x"}},
		{name: "help is known", args: []string{"--help"}},
		{name: "a value missing at the end", args: []string{"--health-interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			if got := usageHint(flags, tt.args, getenv); got != tt.want {
				t.Errorf("usageHint(%q) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	names := []string{"run", "demo", "check", "doctor", "systemd", "launchd", "version", "health-url", "health-interval", "h"}
	tests := []struct{ typed, want string }{
		{"rn", "run"},
		{"chek", "check"},
		{"dcotor", "doctor"},
		{"verison", "version"},
		{"systmd", "systemd"},
		{"helth-url", "health-url"},
		{"health-intervall", "health-interval"},
		{"foo", ""},
		{"x", ""}, // one letter: no guess, not even -h
		{"interval", ""},
	}
	for _, tt := range tests {
		if got := closest(tt.typed, names); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.typed, got, tt.want)
		}
	}
}

func TestBareNumber(t *testing.T) {
	for v, want := range map[string]bool{"5": true, "30": true, "1.5": true, "0": false, "5s": false,
		"": false, "1.": false, ".5": false, "-5": false, "1e3": false, "1m30s": false} {
		if got := bareNumber(v); got != want {
			t.Errorf("bareNumber(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestMistakesAreOneLine runs the CLI in-process: each mistake is one line
// on stderr saying what was meant, exit 2, and nothing on stdout.
func TestMistakesAreOneLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{name: "command typo", args: []string{"rn"},
			want: `hsup: no command "rn": did you mean "run"? (see hsup --help)`},
		{name: "no such command", args: []string{"frobnicate"},
			want: `hsup: no command "frobnicate" (see hsup --help)`},
		{name: "subcommand typo", args: []string{"systemd", "unti"},
			want: `hsup: no command "unti" in hsup systemd: did you mean "unit"? (see hsup systemd --help)`},
		{name: "flag typo", args: []string{"run", "--helth-url=http://127.0.0.1:1/", "--", "/bin/true"},
			want: "hsup: unknown flag --helth-url: did you mean --health-url? (see hsup run --help)"},
		{name: "flag typo in a subcommand", args: []string{"systemd", "unit", "--instal", "--", "/bin/true"},
			want: "hsup: unknown flag --instal: did you mean --install? (see hsup systemd unit --help)"},
		{name: "bare duration", args: []string{"run", "--health-interval=5", "--", "/bin/true"},
			want: "hsup: --health-interval=5: a duration needs a unit: use 5s (see hsup run --help)"},
		{name: "bare duration, check", args: []string{"check", "--timeout", "2", "http://127.0.0.1:1/"},
			want: "hsup: --timeout=2: a duration needs a unit: use 2s (see hsup check --help)"},
		{name: "bare duration from HSUP_*", args: []string{"run", "--", "/bin/true"}, env: map[string]string{"HSUP_STOP_GRACE": "10"},
			want: "hsup: HSUP_STOP_GRACE=10 (--stop-grace): a duration needs a unit: use 10s (see hsup run --help)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var out, errb bytes.Buffer
			code := run(append([]string{"hsup"}, tt.args...), &out, &errb)
			if code != 2 || errb.String() != tt.want+"\n" || out.Len() != 0 {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit 2, stderr %q", code, errb.String(), out.String(), tt.want)
			}
		})
	}
}

func TestSubcommandHelpStaysHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"hsup", "systemd"}, &out, &errb); code != 0 || !bytes.Contains(out.Bytes(), []byte("unit")) {
		t.Fatalf("hsup systemd: exit %d, stdout %q, stderr %q; want its help, exit 0", code, out.String(), errb.String())
	}
}
