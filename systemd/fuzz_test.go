package systemd

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/managed"
)

// FuzzRenderExecStart: whatever Render accepts is a unit whose lines are
// all keys hsup writes, each once, and whose ExecStart= splits back (by
// systemd's rules, see cmdline_test.go) into exactly the command's argv.
// What it refuses, it refuses with one line.
func FuzzRenderExecStart(f *testing.F) {
	f.Add("--nofile=8192", "bin/sh", trickyArgs[1], trickyArgs[7], "/srv/a b%c")
	f.Add("--stop-grace=1s", "usr/bin/python3", "", ";", "")
	f.Add("--x=%h", "opt/100% web\nui", `\;`, "\x7f\x01", "/srv")
	f.Add(`--y=$HOME`, `odd\`, "café", "\"'", `/srv/end\`)
	f.Fuzz(func(t *testing.T, runArg, program, arg1, arg2, wd string) {
		u := Unit{Name: "fuzz", Command: managed.Command{Hsup: "/usr/local/bin/hsup", RunArgs: []string{runArg},
			Program: "/" + program, Args: []string{arg1, arg2}, StopGrace: 10 * time.Second}, WorkingDirectory: wd}
		text, err := u.Render()
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("refusal is not one line: %q", err)
			}
			return
		}
		keys := unitKeys(t, text)
		if keys["ExecStart"] != 1 || keys["Description"] != 1 {
			t.Fatalf("want one ExecStart= and one Description=, got %v in:\n%s", keys, text)
		}
		line := unitValue(t, text, "ExecStart")
		got, err := splitCommandLine(line)
		if err != nil {
			t.Fatalf("splitCommandLine(%q): %v", line, err)
		}
		if want, _ := u.Argv(); !slices.Equal(got, want) {
			t.Fatalf("argv round trip:\n got %q\nwant %q", got, want)
		}
	})
}

// unitKeys counts the keys of a unit file and fails on any line systemd
// would read differently from how Render meant it: a line that is not a
// comment, a section or Key=value, a key hsup does not write, or a
// trailing backslash, which continues a line in unit files.
func unitKeys(t *testing.T, text string) map[string]int {
	t.Helper()
	known := map[string]bool{"Description": true, "After": true, "Type": true, "NotifyAccess": true,
		"ExecStart": true, "WorkingDirectory": true, "Restart": true, "RestartPreventExitStatus": true,
		"RestartSec": true, "WatchdogSec": true, "KillMode": true, "TimeoutStopSec": true,
		"LimitNOFILE": true, "WantedBy": true}
	keys := map[string]int{}
	for _, l := range strings.Split(text, "\n") {
		if strings.HasSuffix(l, `\`) {
			t.Fatalf("line %q ends in a backslash, which joins it with the next:\n%s", l, text)
		}
		if l == "" || strings.HasPrefix(l, "#") || l == "[Unit]" || l == "[Service]" || l == "[Install]" {
			continue
		}
		k, _, ok := strings.Cut(l, "=")
		if !ok || !known[k] {
			t.Fatalf("unexpected line %q in:\n%s", l, text)
		}
		keys[k]++
	}
	return keys
}
