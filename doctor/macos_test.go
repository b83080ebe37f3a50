package doctor

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

// mac is defaults() on a Mac as the CLI gathers it from a terminal: uid
// 501 at the console, the app outside the TCC folders.
func mac() Input {
	in := defaults()
	in.GOOS, in.UID, in.GUISession, in.GUIEvidence = "darwin", 501, "yes", "/dev/console is owned by uid 501"
	in.Home, in.WorkDir = "/Users/ana", "/Users/ana/srv/webui"
	in.Executable, in.Program = "/opt/homebrew/bin/hsup", "/Users/ana/srv/webui/.venv/bin/python"
	in.ProgramTarget = "/opt/homebrew/Cellar/python@3.12/3.12.4/Frameworks/Python.framework/Versions/3.12/bin/python3.12"
	in.Args = []string{"-m", "webui", "--data=/Users/ana/srv/webui/data"}
	in.NofileHard, in.NofileCap = math.MaxInt64, 61440
	in.Getenv = env("XPC_SERVICE_NAME", "0")
	in.EUID = in.UID
	// launchd.DefaultExitTimeOut (5s) is all of managed.StopMargin, so
	// only a grace of 0 fits it; the stop tests set their own.
	in.StopGrace = 0
	// The plists of the job tests, as `hsup launchd plist` writes them
	// (ExitTimeOut 15).
	agent, daemon := generated(false), generated(true)
	in.ReadFile = files(map[string][]byte{
		"/Users/ana/Library/LaunchAgents/com.example.webui.plist": agent,
		"/Library/LaunchDaemons/com.example.webui.plist":          daemon,
	})
	return in
}

func TestFormatLimit(t *testing.T) {
	tests := []struct {
		name string
		n    uint64
		want string
	}{
		{name: "launchd soft default", n: 256, want: "256"},
		{name: "zero", n: 0, want: "0"},
		{name: "macOS RLIM_INFINITY", n: math.MaxInt64, want: "unlimited"},
		{name: "Linux RLIM_INFINITY", n: math.MaxUint64, want: "unlimited"},
		{name: "one below infinity is a number", n: math.MaxInt64 - 1, want: "9223372036854775806"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatLimit(tt.n); got != tt.want {
				t.Fatalf("FormatLimit(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    uint64
		wantErr bool
	}{
		{name: "number with newline", out: "256\n", want: 256},
		{name: "unlimited", out: "unlimited\n", want: math.MaxUint64},
		{name: "empty", out: "", wantErr: true},
		{name: "garbage", out: "sh: ulimit: bad option", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLimit(tt.out)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseLimit(%q) = %d, %v; want %d, error %v", tt.out, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestJobLabel(t *testing.T) {
	tests := []struct {
		name, xpc, want string
	}{
		{name: "launchd job", xpc: "com.example.webui", want: "com.example.webui"},
		{name: "unset", xpc: ""},
		{name: "Terminal.app", xpc: "0"},
		{name: "VS Code terminal", xpc: "application.com.microsoft.VSCode.81289117.81289123"},
		{name: "JetBrains terminal", xpc: "application.com.jetbrains.pycharm.34234.34240"},
		{name: "a label that merely contains application", xpc: "com.example.application", want: "com.example.application"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := JobLabel(tt.xpc); got != tt.want {
				t.Fatalf("JobLabel(%q) = %q, want %q", tt.xpc, got, tt.want)
			}
		})
	}
}

func TestTCCProtected(t *testing.T) {
	tests := []struct {
		name  string
		home  string
		paths []string
		want  string // path=folder, space separated
	}{
		{name: "documents", home: "/Users/ana", paths: []string{"/Users/ana/Documents/webui/run.sh"},
			want: "/Users/ana/Documents/webui/run.sh=~/Documents"},
		{name: "the folder itself", home: "/Users/ana", paths: []string{"/Users/ana/Desktop"}, want: "/Users/ana/Desktop=~/Desktop"},
		{name: "downloads with tilde", home: "/Users/ana", paths: []string{"~/Downloads/hsup"}, want: "/Users/ana/Downloads/hsup=~/Downloads"},
		{name: "iCloud Drive", home: "/Users/ana", paths: []string{"/Users/ana/Library/Mobile Documents/com~apple~CloudDocs/app"},
			want: "/Users/ana/Library/Mobile Documents/com~apple~CloudDocs/app=iCloud Drive (~/Library/Mobile Documents)"},
		{name: "external volume", home: "/Users/ana", paths: []string{"/Volumes/Data/models"}, want: "/Volumes/Data/models=/Volumes"},
		{name: "case-insensitive like APFS", home: "/Users/ana", paths: []string{"/users/ana/documents/x"}, want: "/users/ana/documents/x=~/Documents"},
		{name: "unclean path", home: "/Users/ana/", paths: []string{"/Users/ana/srv/../Documents/x"}, want: "/Users/ana/Documents/x=~/Documents"},
		{name: "another user's home", home: "/var/root", paths: []string{"/Users/bob/Desktop/app"}, want: "/Users/bob/Desktop/app=/Users/bob/Desktop"},
		{name: "no home still knows /Users", paths: []string{"/Users/ana/Documents/a"}, want: "/Users/ana/Documents/a=/Users/ana/Documents"},
		{name: "home outside /Users", home: "/Volumes/Home/ana", paths: []string{"/Volumes/Home/ana/bin/app"}, want: "/Volumes/Home/ana/bin/app=/Volumes"},
		{name: "lookalikes are not protected", home: "/Users/ana", paths: []string{
			"/Users/ana/Documents-old/x", "/Users/ana/DocumentsX", "/Users/ana/srv/Documents/x", "/Users/Shared/Documents/x",
			"/VolumesX/a", "/Users/ana/Library/Application Support/hsup", "/usr/local/bin/webui", "/opt/homebrew/bin/python3"}},
		{name: "relative paths are skipped", home: "/Users/ana", paths: []string{"Documents/x", "./Desktop"}},
		{name: "tilde without home is skipped", paths: []string{"~/Documents/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, h := range TCCProtected(tt.home, tt.paths) {
				got = append(got, h.Path+"="+h.Folder)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Fatalf("TCCProtected = %q, want %q", g, tt.want)
			}
		})
	}
}

func TestArgPaths(t *testing.T) {
	tests := []struct {
		name    string
		workDir string
		args    []string
		want    string
	}{
		{name: "absolute and flag values", workDir: "/srv", args: []string{"-m", "webui", "/data/x", "--config=/etc/webui.toml", "--port", "8787"},
			want: "/data/x /etc/webui.toml"},
		{name: "relative with slash joins the working directory", workDir: "/Users/ana/srv", args: []string{"../Documents/db", "app.py", "./static"},
			want: "/Users/ana/Documents/db /Users/ana/srv/static"},
		{name: "tilde kept for TCCProtected", workDir: "/srv", args: []string{"~/Desktop/notes"}, want: "~/Desktop/notes"},
		{name: "urls and flags without values are not paths", workDir: "/srv", args: []string{"http://127.0.0.1:8787/health", "--verbose", "-v"}},
		{name: "relative without a working directory", args: []string{"a/b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(argPaths(tt.workDir, tt.args), " "); got != tt.want {
				t.Fatalf("argPaths = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLaunchdDomain(t *testing.T) {
	agent := "/Users/ana/Library/LaunchAgents/com.example.webui.plist"
	tests := []struct {
		name  string
		input func(Input) Input
		want  string // domain; "-" for no launchd section
	}{
		{name: "linux says nothing", input: func(in Input) Input { in.GOOS, in.GUISession = "linux", ""; return in }, want: "-"},
		{name: "macOS facts not gathered", input: func(in Input) Input { in.GUISession = ""; return in }, want: "-"},
		{name: "terminal is no job", input: func(in Input) Input { return in }, want: ""},
		{name: "IDE terminal is no job", input: func(in Input) Input {
			in.Getenv = env("XPC_SERVICE_NAME", "application.com.microsoft.VSCode.1.2")
			return in
		}, want: ""},
		{name: "agent with a GUI session", input: func(in Input) Input {
			in.Getenv, in.JobPlist = env("XPC_SERVICE_NAME", "com.example.webui"), agent
			return in
		}, want: "gui/501"},
		{name: "agent without the console", input: func(in Input) Input {
			in.Getenv, in.JobPlist, in.GUISession = env("XPC_SERVICE_NAME", "com.example.webui"), agent, "no"
			return in
		}, want: "unknown"},
		{name: "daemon running as the user", input: func(in Input) Input {
			in.Getenv, in.JobPlist, in.GUISession = env("XPC_SERVICE_NAME", "com.example.webui"), "/Library/LaunchDaemons/com.example.webui.plist", "no"
			return in
		}, want: "system"},
		{name: "root job without a plist found", input: func(in Input) Input {
			in.Getenv, in.UID = env("XPC_SERVICE_NAME", "com.example.webui"), 0
			return in
		}, want: "system"},
		{name: "no plist found", input: func(in Input) Input {
			in.Getenv = env("XPC_SERVICE_NAME", "com.example.webui")
			return in
		}, want: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Check(tt.input(mac())).Launchd
			got := l.Domain
			if l.GUISession == "" {
				got = "-"
			}
			if got != tt.want {
				t.Fatalf("domain = %q (%s), want %q", got, l.DomainWhy, tt.want)
			}
		})
	}
}

func TestMacWarnings(t *testing.T) {
	tests := []struct {
		name  string
		input func(Input) Input
		want  []string // a substring of each warning, in order
	}{
		{name: "clean mac", input: func(in Input) Input { return in }},
		{name: "linux ignores mac paths", input: func(in Input) Input {
			in.GOOS, in.WorkDir = "linux", "/Users/ana/Documents/webui"
			return in
		}},
		{name: "app in Documents", input: func(in Input) Input {
			in.WorkDir, in.Program = "/Users/ana/Documents/webui", "/Users/ana/Documents/webui/.venv/bin/python"
			in.Args = []string{"-m", "webui", "--models=/Volumes/Models/sd", "data/db.sqlite"}
			return in
		}, want: []string{`the program /Users/ana/Documents/webui/.venv/bin/python (~/Documents); the working directory /Users/ana/Documents/webui (~/Documents); ` +
			`the argument /Volumes/Models/sd (/Volumes); the argument /Users/ana/Documents/webui/data/db.sqlite (~/Documents): macOS guards these folders (TCC)`}},
		{name: "hsup downloaded and run from Downloads", input: func(in Input) Input { in.Executable = "/Users/ana/Downloads/hsup"; return in },
			want: []string{"hsup /Users/ana/Downloads/hsup (~/Downloads)"}},
		{name: "symlink into iCloud Drive", input: func(in Input) Input {
			in.Program, in.ProgramTarget = "/usr/local/bin/webui", "/Users/ana/Library/Mobile Documents/com~apple~CloudDocs/webui/run"
			return in
		}, want: []string{"the program's target /Users/ana/Library/Mobile Documents/com~apple~CloudDocs/webui/run (iCloud Drive"}},
		{name: "nofile 0 in a terminal", input: func(in Input) Input {
			in.NofileWant, in.NofileSoft, in.NofileCap, in.NofileReason = 0, 61440, 0, ""
			return in
		}, want: []string{"--nofile 0 inherits a soft RLIMIT_NOFILE of 61440 here, but under launchd a job inherits launchd's default of 256"}},
		{name: "nofile 0 not measured", input: func(in Input) Input {
			in.NofileWant, in.NofileSoft, in.NofileCap, in.NofileReason = 0, 0, 0, ""
			return in
		}, want: []string{"--nofile 0 inherits a soft RLIMIT_NOFILE, but under launchd"}},
		{name: "nofile 0 under launchd", input: func(in Input) Input {
			in.Getenv, in.JobPlist = env("XPC_SERVICE_NAME", "com.example.webui"), "/Users/ana/Library/LaunchAgents/com.example.webui.plist"
			in.NofileWant, in.NofileSoft, in.NofileCap, in.NofileReason = 0, 256, 0, ""
			return in
		}, want: []string{"--nofile 0 inherits a soft RLIMIT_NOFILE of 256"}},
		{name: "nofile 0 under launchd raised by the plist", input: func(in Input) Input {
			in.Getenv, in.JobPlist = env("XPC_SERVICE_NAME", "com.example.webui"), "/Users/ana/Library/LaunchAgents/com.example.webui.plist"
			in.NofileWant, in.NofileSoft, in.NofileCap, in.NofileReason = 0, 4096, 0, ""
			return in
		}},
		{name: "headless over SSH", input: func(in Input) Input {
			in.GUISession, in.GUIEvidence = "no", "/dev/console is owned by uid 0: nobody is logged in at the screen"
			return in
		}, want: []string{"no GUI session for uid 501 (/dev/console is owned by uid 0", "`hsup launchd plist --daemon`"}},
		{name: "agent whose user is not at the screen", input: func(in Input) Input {
			in.Getenv, in.JobPlist = env("XPC_SERVICE_NAME", "com.example.webui"), "/Users/ana/Library/LaunchAgents/com.example.webui.plist"
			in.GUISession, in.GUIEvidence = "no", "/dev/console is owned by uid 502"
			return in
		}, want: []string{"the job is a LaunchAgent and uid 501 is not logged in at the screen"}},
		{name: "daemon needs no session", input: func(in Input) Input {
			in.Getenv, in.JobPlist = env("XPC_SERVICE_NAME", "com.example.webui"), "/Library/LaunchDaemons/com.example.webui.plist"
			in.GUISession, in.GUIEvidence = "no", "/dev/console is owned by uid 0"
			return in
		}},
		{name: "root needs no session", input: func(in Input) Input {
			in.UID, in.GUISession, in.GUIEvidence = 0, "no", "/dev/console is owned by uid 501"
			return in
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(tt.input(mac()))
			all := r.Warnings
			if len(tt.want) == 0 && len(all) != 0 {
				t.Fatalf("want no warnings, got %q", all)
			}
			joined := strings.Join(all, "\n")
			for _, want := range tt.want {
				if !strings.Contains(joined, want) {
					t.Errorf("warnings lack %q:\n%s", want, joined)
				}
			}
			if len(tt.want) > 0 && len(all) != 1 {
				t.Errorf("want one warning, got %d: %q", len(all), all)
			}
		})
	}
}

func TestNofileLine(t *testing.T) {
	tests := []struct {
		name  string
		input func(Input) Input
		want  string
	}{
		{name: "planned under an unlimited hard limit", input: func(in Input) Input { return in },
			want: "4096 (wanted 4096, hard unlimited, kern.maxfilesperproc 61440): raised to --nofile"},
		{name: "inherited from launchd", input: func(in Input) Input {
			in.NofileWant, in.NofileSoft, in.NofileCap, in.NofileReason = 0, 256, 0, ""
			return in
		}, want: "256 (inherited, hard unlimited)"},
		{name: "inherited, not measured", input: func(in Input) Input { in.NofileWant, in.NofileSoft = 0, 0; return in },
			want: "inherited from hsup (not measured)"},
		{name: "linux infinity", input: func(in Input) Input { in.NofileHard, in.NofileCap = math.MaxUint64, 0; return in },
			want: "4096 (wanted 4096, hard unlimited): raised to --nofile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(tt.input(mac())).Nofile; got != tt.want {
				t.Fatalf("Nofile = %q, want %q", got, tt.want)
			}
		})
	}
}

// Example_macOS is `hsup doctor --nofile=0 -- .venv/bin/python -m webui`
// over SSH on a headless Mac mini, in a checkout under ~/Documents.
func Example_macOS() {
	in := mac()
	in.Getenv = env("XPC_SERVICE_NAME", "application.com.microsoft.VSCode.81289117.81289123")
	in.GUISession, in.GUIEvidence = "no", "/dev/console is owned by uid 0: nobody is logged in at the screen"
	in.WorkDir, in.Program, in.ProgramTarget = "/Users/ana/Documents/webui", "/Users/ana/Documents/webui/.venv/bin/python", ""
	in.Args = []string{"-m", "webui"}
	in.NofileWant, in.NofileSoft, in.NofileCap, in.NofileReason = 0, 256, 0, ""
	in.LookPath = func(name string) bool { return name == "lsof" || name == "sample" }
	r := Check(in)
	_ = r.Write(os.Stdout)
	fmt.Println("exit", r.ExitCode())
	// Output:
	// Worst-case detection time (failure start to restart decision):
	//   cheap         17s    (3 x 5s + 2s)
	//   deep          2m10s  (2 x 1m0s + 10s)
	//   heartbeat     35s    (30s + 5s)
	//   busy          1m2s   (12 x 5s + 2s)
	//   startup       1m5s   (1m0s + 5s)
	//   accept_stall  7s     (5s + 2s with no traffic but the probes; 2s once a connection waits)
	//
	// Child RLIMIT_NOFILE: 256 (inherited, hard unlimited)
	//
	// Diagnostics collectors:
	//   lsof    found    open files by kind (lsof.txt; without it, fds.txt from /proc on Linux)
	//   py-spy  missing  Python thread stacks (py-stack.txt)
	//   sample  found    native thread samples (threads.txt)
	//
	// Service manager: none (XPC_SERVICE_NAME=application.com.microsoft.VSCode.81289117.81289123 is an app's terminal, not a launchd job)
	//   launchd stop timeout  5s (launchd's default for a plist without ExitTimeOut; name a plist with --plist)
	//   launchd domain        none: not a launchd job; `hsup launchd plist` installs a LaunchAgent into gui/501, `hsup launchd plist --daemon` a LaunchDaemon into system
	//   GUI session           no (/dev/console is owned by uid 0: nobody is logged in at the screen)
	//
	// Warnings:
	//   - --nofile 0 inherits a soft RLIMIT_NOFILE of 256 (launchd's default is 256): a server leaking a few handles runs out quickly; set --nofile 4096
	//   - no GUI session for uid 501 (/dev/console is owned by uid 0: nobody is logged in at the screen): the LaunchAgent `hsup launchd plist` writes lives in gui/501, which exists only while you are logged in at the screen; `launchctl bootstrap gui/501` fails from SSH (125: Domain does not support specified action) and after a reboot without automatic login (never with FileVault) nothing starts; on a headless Mac install a LaunchDaemon instead: `hsup launchd plist --daemon`
	//   - the program /Users/ana/Documents/webui/.venv/bin/python (~/Documents); the working directory /Users/ana/Documents/webui (~/Documents): macOS guards these folders (TCC), and a LaunchAgent or LaunchDaemon reading them gets a silent "Operation not permitted" (a job is never asked); move the app and its data out (for example to /usr/local/<app> or ~/srv/<app>), or grant hsup Full Disk Access in System Settings > Privacy & Security
	// exit 1
}
