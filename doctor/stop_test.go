package doctor

import (
	"bytes"
	"io/fs"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/launchd"
	"github.com/hsup/hsup/managed"
)

// generated is the plist `hsup launchd plist [--daemon] --stop-grace=10s`
// writes for mac()'s app: ExitTimeOut 15.
func generated(daemon bool) []byte {
	c := launchd.Config{
		Label: "com.example.webui",
		Command: managed.Command{Hsup: "/opt/homebrew/bin/hsup", Program: "/Users/ana/srv/webui/.venv/bin/python",
			Args: []string{"-m", "webui"}, StopGrace: 10 * time.Second},
		Home: "/Users/ana", WorkingDirectory: "/Users/ana/srv/webui", NoFile: 4096,
	}
	if daemon {
		c.Daemon, c.UserName = true, "ana"
	}
	data, err := launchd.Generate(c)
	if err != nil {
		panic("generate the test plist: " + err.Error())
	}
	return data
}

// files is a ReadFile over fixed contents; other names do not exist.
func files(m map[string][]byte) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if data, ok := m[name]; ok {
			return data, nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
}

// plistWith is a job's XML plist with the given dict entries.
func plistWith(entries string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>Label</key><string>com.example.webui</string>` + entries + `</dict></plist>`)
}

func TestLaunchdStop(t *testing.T) {
	const named = "/tmp/com.example.webui.plist"
	agent := "/Users/ana/Library/LaunchAgents/com.example.webui.plist"
	with30 := plistWith(`<key>ExitTimeOut</key><integer>30</integer>`)
	tests := []struct {
		name  string
		input func(Input) Input // over defaults(): Linux, a terminal, grace 10s
		line  string            // the report's launchd stop timeout line; "" for none
		want  []string          // a substring of each warning
	}{
		{name: "linux without --plist says nothing", input: func(in Input) Input { return in }},
		{name: "plist with ExitTimeOut", input: func(in Input) Input {
			in.Plist, in.ReadFile = named, files(map[string][]byte{named: with30})
			return in
		}, line: "30s (ExitTimeOut in " + named + ")"},
		{name: "grace plus margin over the plist's ExitTimeOut", input: func(in Input) Input {
			in.Plist, in.ReadFile, in.StopGrace = named, files(map[string][]byte{named: with30}), 26*time.Second
			return in
		}, line: "30s (ExitTimeOut in " + named + ")",
			want: []string{"--stop-grace 26s leaves hsup 4s of the launchd stop timeout 30s (hsup would be installed under; ExitTimeOut in " + named + ")"}},
		{name: "plist without ExitTimeOut", input: func(in Input) Input {
			in.Plist, in.ReadFile = named, files(map[string][]byte{named: plistWith(`<key>RunAtLoad</key><true/>`)})
			return in
		}, line: "5s (launchd's default; " + named + " sets no ExitTimeOut)",
			want: []string{"--stop-grace 10s is not below the launchd stop timeout 5s (hsup would be installed under; launchd's default; " + named + " sets no ExitTimeOut)"}},
		{name: "ExitTimeOut 0 never kills", input: func(in Input) Input {
			in.Plist, in.ReadFile = named, files(map[string][]byte{named: plistWith(`<key>ExitTimeOut</key><integer>0</integer>`)})
			return in
		}, line: "none (ExitTimeOut 0 in " + named + ": launchd never sends SIGKILL)"},
		{name: "missing plist", input: func(in Input) Input { in.Plist, in.StopGrace = named, 0; return in },
			line: "5s (launchd's default; " + named + " could not be read)",
			want: []string{"cannot read ExitTimeOut from " + named + " (file does not exist): doctor assumes launchd's default of 5s"}},
		{name: "unreadable plist", input: func(in Input) Input {
			in.Plist, in.StopGrace = named, 0
			in.ReadFile = func(name string) ([]byte, error) {
				return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EACCES}
			}
			return in
		}, line: "5s (launchd's default; " + named + " could not be read)",
			want: []string{"cannot read ExitTimeOut from " + named + " (permission denied)"}},
		{name: "undecodable plist", input: func(in Input) Input {
			in.Plist, in.StopGrace = named, 0
			in.ReadFile = files(map[string][]byte{named: []byte(`<plist><dict><key>ExitTimeOut</key>`)})
			return in
		}, line: "5s (launchd's default; " + named + " could not be read)",
			want: []string{"cannot read ExitTimeOut from " + named + " (decode launchd plist: "}},
		{name: "generated plist round trip", input: func(in Input) Input {
			in.Plist, in.ReadFile = named, files(map[string][]byte{named: generated(false)})
			return in
		}, line: "15s (ExitTimeOut in " + named + ")"},
		{name: "generated plist, a longer grace", input: func(in Input) Input {
			in.Plist, in.ReadFile, in.StopGrace = named, files(map[string][]byte{named: generated(true)}), 12*time.Second
			return in
		}, line: "15s (ExitTimeOut in " + named + ")",
			want: []string{"(ExitTimeOut = grace + 5s) or lower --stop-grace to 10s"}},
		{name: "under systemd the named plist is judged too", input: func(in Input) Input {
			in.Getenv = env("NOTIFY_SOCKET", "/run/n")
			in.Plist, in.ReadFile = named, files(map[string][]byte{named: plistWith("")})
			return in
		}, line: "5s (launchd's default; " + named + " sets no ExitTimeOut)",
			want: []string{"the launchd stop timeout 5s (--plist; launchd's default; " + named + " sets no ExitTimeOut)"}},
		{name: "mac terminal without a plist", input: func(in Input) Input { return mac() },
			line: "5s (launchd's default for a plist without ExitTimeOut; name a plist with --plist)"},
		{name: "launchd job reads its own plist", input: func(in Input) Input {
			in = mac()
			in.Getenv, in.JobPlist, in.StopGrace = env("XPC_SERVICE_NAME", "com.example.webui"), agent, 10*time.Second
			return in
		}, line: "15s (ExitTimeOut in " + agent + ")"},
		{name: "--plist wins over the job's plist", input: func(in Input) Input {
			in = mac()
			in.Getenv, in.JobPlist, in.Plist = env("XPC_SERVICE_NAME", "com.example.webui"), agent, named
			in.ReadFile = files(map[string][]byte{named: with30})
			return in
		}, line: "30s (ExitTimeOut in " + named + ")"},
		{name: "launchd job whose plist was not found", input: func(in Input) Input {
			in = mac()
			in.Getenv, in.StopGrace = env("XPC_SERVICE_NAME", "com.example.webui"), time.Second
			return in
		}, line: "5s (launchd's default; the job's plist was not found, name it with --plist)",
			want: []string{"--stop-grace 1s leaves hsup 4s of the launchd stop timeout 5s (that starts hsup)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(tt.input(defaults()))
			if got := stopLine(t, r); got != tt.line {
				t.Errorf("launchd stop timeout line = %q, want %q", got, tt.line)
			}
			if len(r.Warnings) != len(tt.want) {
				t.Fatalf("want %d warnings, got %q", len(tt.want), r.Warnings)
			}
			joined := strings.Join(r.Warnings, "\n")
			for _, want := range tt.want {
				if !strings.Contains(joined, want) {
					t.Errorf("warnings lack %q:\n%s", want, joined)
				}
			}
		})
	}
}

// stopLine is the value of the report's "launchd stop timeout" line, ""
// when there is none.
func stopLine(t *testing.T, r Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	for l := range strings.Lines(b.String()) {
		if v, ok := strings.CutPrefix(l, "  launchd stop timeout"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func TestLaunchdJobStopTimeout(t *testing.T) {
	in := mac()
	in.Getenv, in.JobPlist = env("XPC_SERVICE_NAME", "com.example.webui"), "/Library/LaunchDaemons/com.example.webui.plist"
	r := Check(in)
	if r.Manager.StopTimeout != 15*time.Second {
		t.Errorf("manager stop timeout = %s, want the plist's 15s", r.Manager.StopTimeout)
	}
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	// The timeout is said once, with its source.
	if want := "Service manager: launchd (XPC_SERVICE_NAME=com.example.webui)\n"; !strings.Contains(b.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, b.String())
	}
}
