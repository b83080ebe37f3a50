package launchd

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/managed"
)

func testConfig() Config {
	return Config{
		Label: "com.example.hermes-webui",
		Command: managed.Command{
			Hsup:    "/Users/ann/bin/hsup",
			RunArgs: []string{"--nofile=4096", "--health-url=http://127.0.0.1:8787/health?a=1&b=<2>", "--stop-grace=10s"},
			Program: "/usr/bin/python3",
			Args: []string{"server.py", "a b", `it's "quoted"`, "100% $HOME", `back\slash`, "tab\tnew\nline\r\ncrlf",
				"<xml>&amp;</xml>", "", "café ☕"},
			StopGrace: 10 * time.Second,
		},
		Home:             "/Users/ann",
		WorkingDirectory: "/Users/ann/hermes webui",
		Path:             "/opt/homebrew/bin:/usr/bin:/bin",
		NoFile:           4096,
	}
}

// argvOf is the ProgramArguments of c with its log files in logs.
func argvOf(c Config, logs string) []string {
	a := append([]string{c.Hsup, "run"}, c.RunArgs...)
	a = append(a, "--log-file="+path.Join(logs, "hsup.log"), "--output-file="+path.Join(logs, "output.log"))
	a = append(a, "--", c.Program)
	return append(a, c.Args...)
}

func TestGenerateRoundTrip(t *testing.T) {
	no := false
	agentLogs := "/Users/ann/Library/Logs/com.example.hermes-webui/"
	tests := []struct {
		name     string
		config   func(Config) Config
		wantJob  func(Config) Job
		wantText []string
	}{
		{
			name:   "defaults",
			config: func(c Config) Config { return c },
			wantJob: func(c Config) Job {
				return Job{Label: c.Label, ProgramArguments: argvOf(c, agentLogs), RunAtLoad: true, KeepAlive: KeepAlive{Always: true},
					ProcessType: "Standard", ThrottleInterval: 10, ExitTimeOut: 15,
					SoftResourceLimits: &ResourceLimits{NumberOfFiles: 4096},
					StandardOutPath:    agentLogs + "launchd.log", StandardErrorPath: agentLogs + "launchd.log",
					WorkingDirectory:     c.WorkingDirectory,
					EnvironmentVariables: map[string]string{"PATH": c.Path, "HOME": "/Users/ann"}}
			},
			wantText: []string{"<?xml", "<!DOCTYPE plist", "\t<key>Label</key>", "<integer>15</integer>", "<true/>"},
		},
		{
			name: "log dir, other limit, fractional grace, inherit nothing else",
			config: func(c Config) Config {
				c.LogDir, c.NoFile, c.StopGrace = "/var/log/webui", 8192, 2500*time.Millisecond
				c.Path, c.WorkingDirectory = "", ""
				return c
			},
			wantJob: func(c Config) Job {
				return Job{Label: c.Label, ProgramArguments: argvOf(c, "/var/log/webui"), RunAtLoad: true, KeepAlive: KeepAlive{Always: true},
					ProcessType: "Standard", ThrottleInterval: 10, ExitTimeOut: 8,
					SoftResourceLimits: &ResourceLimits{NumberOfFiles: 8192},
					StandardOutPath:    "/var/log/webui/launchd.log", StandardErrorPath: "/var/log/webui/launchd.log",
					EnvironmentVariables: map[string]string{"HOME": "/Users/ann"}}
			},
		},
		{
			name:   "nofile 0 inherits launchd's limits",
			config: func(c Config) Config { c.NoFile = 0; return c },
			wantJob: func(c Config) Job {
				return Job{Label: c.Label, ProgramArguments: argvOf(c, agentLogs), RunAtLoad: true, KeepAlive: KeepAlive{Always: true},
					ProcessType: "Standard", ThrottleInterval: 10, ExitTimeOut: 15,
					StandardOutPath: agentLogs + "launchd.log", StandardErrorPath: agentLogs + "launchd.log",
					WorkingDirectory:     c.WorkingDirectory,
					EnvironmentVariables: map[string]string{"PATH": c.Path, "HOME": "/Users/ann"}}
			},
		},
		{
			name: "agent limit clamped to kern.maxfilesperproc, on-failure, Interactive",
			config: func(c Config) Config {
				c.NoFile, c.MaxFilesPerProc, c.Restart, c.ProcessType = 1<<20, 24576, "on-failure", "Interactive"
				return c
			},
			wantJob: func(c Config) Job {
				return Job{Label: c.Label, ProgramArguments: argvOf(c, agentLogs), RunAtLoad: true, KeepAlive: KeepAlive{SuccessfulExit: &no},
					ProcessType: "Interactive", ThrottleInterval: 10, ExitTimeOut: 15,
					SoftResourceLimits: &ResourceLimits{NumberOfFiles: 24576},
					StandardOutPath:    agentLogs + "launchd.log", StandardErrorPath: agentLogs + "launchd.log",
					WorkingDirectory:     c.WorkingDirectory,
					EnvironmentVariables: map[string]string{"PATH": c.Path, "HOME": "/Users/ann"}}
			},
			wantText: []string{"<key>SuccessfulExit</key>\n\t\t\t<false/>"},
		},
		{
			name: "daemon: user and group, system logs, no limits, no HOME",
			config: func(c Config) Config {
				c.Daemon, c.UserName, c.GroupName, c.Restart = true, "ann", "staff", "never"
				return c
			},
			wantJob: func(c Config) Job {
				return Job{Label: c.Label, ProgramArguments: argvOf(c, "/Library/Logs/com.example.hermes-webui"), UserName: "ann", GroupName: "staff",
					RunAtLoad: true, KeepAlive: KeepAlive{}, ProcessType: "Standard", ThrottleInterval: 10, ExitTimeOut: 15,
					StandardOutPath:      "/Library/Logs/com.example.hermes-webui/launchd.log",
					StandardErrorPath:    "/Library/Logs/com.example.hermes-webui/launchd.log",
					WorkingDirectory:     c.WorkingDirectory,
					EnvironmentVariables: map[string]string{"PATH": c.Path}}
			},
			wantText: []string{"<key>KeepAlive</key>\n\t\t<false/>"},
		},
		{
			name: "daemon without home or group, own log dir",
			config: func(c Config) Config {
				c.Daemon, c.UserName, c.Home, c.LogDir, c.Path = true, "_webui", "", "/var/log/webui", ""
				return c
			},
			wantJob: func(c Config) Job {
				return Job{Label: c.Label, ProgramArguments: argvOf(c, "/var/log/webui"), UserName: "_webui",
					RunAtLoad: true, KeepAlive: KeepAlive{Always: true}, ProcessType: "Standard", ThrottleInterval: 10, ExitTimeOut: 15,
					StandardOutPath: "/var/log/webui/launchd.log", StandardErrorPath: "/var/log/webui/launchd.log",
					WorkingDirectory: c.WorkingDirectory}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.config(testConfig())
			data, err := Generate(c)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			got, err := Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v\n%s", err, data)
			}
			assertJob(t, got, tt.wantJob(c))
			for _, w := range tt.wantText {
				if !bytes.Contains(data, []byte(w)) {
					t.Errorf("plist lacks %q:\n%s", w, data)
				}
			}
			if bytes.Contains(data, []byte("HardResourceLimits")) {
				t.Errorf("plist sets HardResourceLimits:\n%s", data)
			}
		})
	}
}

func assertJob(t *testing.T, got, want Job) {
	t.Helper()
	if !slices.Equal(got.ProgramArguments, want.ProgramArguments) {
		t.Errorf("ProgramArguments:\n got %q\nwant %q", got.ProgramArguments, want.ProgramArguments)
	}
	if !maps.Equal(got.EnvironmentVariables, want.EnvironmentVariables) {
		t.Errorf("EnvironmentVariables = %v, want %v", got.EnvironmentVariables, want.EnvironmentVariables)
	}
	if fmt.Sprint(got.SoftResourceLimits, got.HardResourceLimits) != fmt.Sprint(want.SoftResourceLimits, want.HardResourceLimits) {
		t.Errorf("limits soft/hard = %v/%v, want %v/%v", got.SoftResourceLimits, got.HardResourceLimits,
			want.SoftResourceLimits, want.HardResourceLimits)
	}
	if !reflect.DeepEqual(got.KeepAlive, want.KeepAlive) {
		t.Errorf("KeepAlive = %s, want %s", keepAliveString(got.KeepAlive), keepAliveString(want.KeepAlive))
	}
	got.KeepAlive, want.KeepAlive = KeepAlive{}, KeepAlive{}
	got.ProgramArguments, want.ProgramArguments = nil, nil
	got.EnvironmentVariables, want.EnvironmentVariables = nil, nil
	got.SoftResourceLimits, want.SoftResourceLimits, got.HardResourceLimits, want.HardResourceLimits = nil, nil, nil, nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("job:\n got %+v\nwant %+v", got, want)
	}
}

func keepAliveString(k KeepAlive) string {
	if k.SuccessfulExit != nil {
		return fmt.Sprintf("{SuccessfulExit: %t}", *k.SuccessfulExit)
	}
	return fmt.Sprint(k.Always)
}

func TestNewJobRefusals(t *testing.T) {
	tests := []struct {
		name    string
		config  func(Config) Config
		wantErr string
	}{
		{name: "empty label", config: func(c Config) Config { c.Label = ""; return c }, wantErr: "label is empty"},
		{name: "leading dot", config: func(c Config) Config { c.Label = ".hidden"; return c }, wantErr: "start with a dot"},
		{name: "slash in label", config: func(c Config) Config { c.Label = "com/example"; return c }, wantErr: "not allowed"},
		{name: "space in label", config: func(c Config) Config { c.Label = "my app"; return c }, wantErr: "not allowed"},
		{name: "apple namespace", config: func(c Config) Config { c.Label = "com.apple.webui"; return c }, wantErr: "reserved"},
		{name: "long label", config: func(c Config) Config { c.Label = strings.Repeat("a", 300); return c }, wantErr: "too long"},
		{name: "relative program", config: func(c Config) Config { c.Program = "python3"; return c }, wantErr: "absolute path"},
		{name: "empty program", config: func(c Config) Config { c.Program = ""; return c }, wantErr: "absolute path"},
		{name: "relative hsup", config: func(c Config) Config { c.Hsup = "hsup"; return c }, wantErr: "hsup path"},
		{name: "negative grace", config: func(c Config) Config { c.StopGrace = -1; return c }, wantErr: "stop grace"},
		{name: "huge grace", config: func(c Config) Config { c.StopGrace = 48 * time.Hour; return c }, wantErr: "stop grace"},
		{name: "limit too large", config: func(c Config) Config { c.NoFile = 1 << 40; return c }, wantErr: "does not fit"},
		{name: "relative log dir", config: func(c Config) Config { c.LogDir = "logs"; return c }, wantErr: "log directory"},
		{name: "no home, no log dir", config: func(c Config) Config { c.Home = ""; return c }, wantErr: "home directory"},
		{name: "relative home", config: func(c Config) Config { c.Home = "ann"; c.LogDir = "/tmp"; return c }, wantErr: "home directory"},
		{name: "relative working dir", config: func(c Config) Config { c.WorkingDirectory = "srv"; return c }, wantErr: "working directory"},
		{name: "control character", config: func(c Config) Config { c.Args = []string{"a\x01"}; return c }, wantErr: "UTF-8"},
		{name: "invalid UTF-8", config: func(c Config) Config { c.Args = []string{"\xff"}; return c }, wantErr: "UTF-8"},
		{name: "control character in log dir", config: func(c Config) Config { c.LogDir = "/var/log/\x12"; return c }, wantErr: "log directory"},
		{name: "control character in home", config: func(c Config) Config { c.Home = "/Users/\x1b"; return c }, wantErr: "home directory"},
		{name: "control character in working dir", config: func(c Config) Config { c.WorkingDirectory = "/srv/\x7f\x01"; return c }, wantErr: "working directory"},
		{name: "invalid UTF-8 in PATH", config: func(c Config) Config { c.Path = "/bin:\xff"; return c }, wantErr: "PATH"},
		{name: "unknown restart", config: func(c Config) Config { c.Restart = "sometimes"; return c }, wantErr: "--restart"},
		{name: "unknown process type", config: func(c Config) Config { c.ProcessType = "standard"; return c }, wantErr: "process type"},
		{name: "daemon without user", config: func(c Config) Config { c.Daemon = true; return c }, wantErr: "--user"},
		{name: "agent with user", config: func(c Config) Config { c.UserName = "ann"; return c }, wantErr: "--daemon"},
		{name: "agent with group", config: func(c Config) Config { c.GroupName = "staff"; return c }, wantErr: "--daemon"},
		{name: "control character in user", config: func(c Config) Config { c.Daemon, c.UserName = true, "a\x01"; return c }, wantErr: "user"},
		{name: "control character in group", config: func(c Config) Config {
			c.Daemon, c.UserName, c.GroupName = true, "ann", "\x02"
			return c
		}, wantErr: "group"},
		{name: "clamped limit still too large", config: func(c Config) Config { c.NoFile, c.MaxFilesPerProc = 1<<40, 1<<35; return c }, wantErr: "does not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewJob(tt.config(testConfig()))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewJob error = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	if _, err := Decode([]byte("<plist><dict><key>Label</key>")); err == nil {
		t.Fatal("Decode accepted a truncated plist")
	}
}

func TestPathAndCommands(t *testing.T) {
	tests := []struct {
		name      string
		home      string
		daemon    bool
		wantPath  string
		wantCmds  []string
		wantUnins []string
		wantKill  string
	}{
		{
			name: "agent", home: "/Users/ann",
			wantPath: "/Users/ann/Library/LaunchAgents/com.example.webui.plist",
			wantCmds: []string{
				"launchctl enable gui/501/com.example.webui",
				"launchctl bootstrap gui/501 /Users/ann/Library/LaunchAgents/com.example.webui.plist",
				"launchctl kickstart gui/501/com.example.webui",
				"launchctl print gui/501/com.example.webui",
			},
			wantUnins: []string{"launchctl bootout gui/501/com.example.webui"},
			wantKill:  "launchctl kill SIGTERM gui/501/com.example.webui",
		},
		{
			name: "agent, home with a space", home: "/Users/Ann Lee",
			wantPath: "/Users/Ann Lee/Library/LaunchAgents/com.example.webui.plist",
			wantCmds: []string{
				"launchctl enable gui/501/com.example.webui",
				"launchctl bootstrap gui/501 '/Users/Ann Lee/Library/LaunchAgents/com.example.webui.plist'",
				"launchctl kickstart gui/501/com.example.webui",
				"launchctl print gui/501/com.example.webui",
			},
			wantUnins: []string{"launchctl bootout gui/501/com.example.webui"},
			wantKill:  "launchctl kill SIGTERM gui/501/com.example.webui",
		},
		{
			name: "daemon", home: "/Users/Ann Lee", daemon: true,
			wantPath: "/Library/LaunchDaemons/com.example.webui.plist",
			wantCmds: []string{
				"sudo launchctl enable system/com.example.webui",
				"sudo launchctl bootstrap system /Library/LaunchDaemons/com.example.webui.plist",
				"sudo launchctl kickstart system/com.example.webui",
				"sudo launchctl print system/com.example.webui",
			},
			wantUnins: []string{"sudo launchctl bootout system/com.example.webui"},
			wantKill:  "sudo launchctl kill SIGTERM system/com.example.webui",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Path("com.example.webui", tt.home, tt.daemon)
			if p != tt.wantPath {
				t.Errorf("Path = %q, want %q", p, tt.wantPath)
			}
			got := InstallCommands("com.example.webui", tt.daemon, 501, p)
			if !slices.Equal(got, tt.wantCmds) {
				t.Errorf("InstallCommands = %q, want %q", got, tt.wantCmds)
			}
			for _, c := range got {
				if strings.Contains(c, " -k") {
					t.Errorf("%q: kickstart -k sends SIGKILL on current macOS", c)
				}
			}
			if got := UninstallCommands("com.example.webui", tt.daemon, 501); !slices.Equal(got, tt.wantUnins) {
				t.Errorf("UninstallCommands = %q, want %q", got, tt.wantUnins)
			}
			if got := RestartCommand("com.example.webui", tt.daemon, 501); got != tt.wantKill {
				t.Errorf("RestartCommand = %q, want %q", got, tt.wantKill)
			}
		})
	}
}

func ExampleGenerate() {
	data, _ := Generate(Config{
		Label: "com.example.webui",
		Command: managed.Command{Hsup: "/usr/local/bin/hsup", Program: "/usr/bin/python3",
			Args: []string{"server.py"}, StopGrace: 10 * time.Second},
		Home: "/Users/ann", NoFile: 4096,
	})
	fmt.Print(string(data))
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
	// <plist version="1.0">
	// 	<dict>
	// 		<key>EnvironmentVariables</key>
	// 		<dict>
	// 			<key>HOME</key>
	// 			<string>/Users/ann</string>
	// 		</dict>
	// 		<key>ExitTimeOut</key>
	// 		<integer>15</integer>
	// 		<key>KeepAlive</key>
	// 		<true/>
	// 		<key>Label</key>
	// 		<string>com.example.webui</string>
	// 		<key>ProcessType</key>
	// 		<string>Standard</string>
	// 		<key>ProgramArguments</key>
	// 		<array>
	// 			<string>/usr/local/bin/hsup</string>
	// 			<string>run</string>
	// 			<string>--log-file=/Users/ann/Library/Logs/com.example.webui/hsup.log</string>
	// 			<string>--output-file=/Users/ann/Library/Logs/com.example.webui/output.log</string>
	// 			<string>--</string>
	// 			<string>/usr/bin/python3</string>
	// 			<string>server.py</string>
	// 		</array>
	// 		<key>RunAtLoad</key>
	// 		<true/>
	// 		<key>SoftResourceLimits</key>
	// 		<dict>
	// 			<key>NumberOfFiles</key>
	// 			<integer>4096</integer>
	// 		</dict>
	// 		<key>StandardErrorPath</key>
	// 		<string>/Users/ann/Library/Logs/com.example.webui/launchd.log</string>
	// 		<key>StandardOutPath</key>
	// 		<string>/Users/ann/Library/Logs/com.example.webui/launchd.log</string>
	// 		<key>ThrottleInterval</key>
	// 		<integer>10</integer>
	// 	</dict>
	// </plist>
}

// A daemon for a headless Mac: it runs as ann from boot, with no limit
// keys (hsup sets the child's --nofile itself) and, under
// --restart=on-failure, is restarted only after a failed exit.
func ExampleGenerate_daemon() {
	data, _ := Generate(Config{
		Label: "com.example.webui",
		Command: managed.Command{Hsup: "/opt/homebrew/bin/hsup", RunArgs: []string{"--restart=on-failure"},
			Program: "/usr/bin/python3", Args: []string{"server.py"}, StopGrace: 10 * time.Second},
		Daemon: true, UserName: "ann", Restart: "on-failure",
		Path: "/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin", NoFile: 4096,
	})
	fmt.Print(string(data))
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
	// <plist version="1.0">
	// 	<dict>
	// 		<key>EnvironmentVariables</key>
	// 		<dict>
	// 			<key>PATH</key>
	// 			<string>/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin</string>
	// 		</dict>
	// 		<key>ExitTimeOut</key>
	// 		<integer>15</integer>
	// 		<key>KeepAlive</key>
	// 		<dict>
	// 			<key>SuccessfulExit</key>
	// 			<false/>
	// 		</dict>
	// 		<key>Label</key>
	// 		<string>com.example.webui</string>
	// 		<key>ProcessType</key>
	// 		<string>Standard</string>
	// 		<key>ProgramArguments</key>
	// 		<array>
	// 			<string>/opt/homebrew/bin/hsup</string>
	// 			<string>run</string>
	// 			<string>--restart=on-failure</string>
	// 			<string>--log-file=/Library/Logs/com.example.webui/hsup.log</string>
	// 			<string>--output-file=/Library/Logs/com.example.webui/output.log</string>
	// 			<string>--</string>
	// 			<string>/usr/bin/python3</string>
	// 			<string>server.py</string>
	// 		</array>
	// 		<key>RunAtLoad</key>
	// 		<true/>
	// 		<key>StandardErrorPath</key>
	// 		<string>/Library/Logs/com.example.webui/launchd.log</string>
	// 		<key>StandardOutPath</key>
	// 		<string>/Library/Logs/com.example.webui/launchd.log</string>
	// 		<key>ThrottleInterval</key>
	// 		<integer>10</integer>
	// 		<key>UserName</key>
	// 		<string>ann</string>
	// 	</dict>
	// </plist>
}

// The plist points hsup at its own rotated files in the log directory,
// unless the run flags name them already: the user's choice stands, even
// "" (hsup's streams, into launchd's file).
func TestLogFileArgs(t *testing.T) {
	tests := []struct {
		args, want []string
	}{
		{nil, []string{"--log-file=/L/hsup.log", "--output-file=/L/output.log"}},
		{[]string{"--nofile=0", "--output-file=/data/out.log"}, []string{"--nofile=0", "--output-file=/data/out.log", "--log-file=/L/hsup.log"}},
		{[]string{"--log-file=", "--output-file="}, []string{"--log-file=", "--output-file="}},
		{[]string{"--log-file-x=1"}, []string{"--log-file-x=1", "--log-file=/L/hsup.log", "--output-file=/L/output.log"}},
	}
	for _, tt := range tests {
		if got := logFileArgs(tt.args, "/L"); !slices.Equal(got, tt.want) {
			t.Errorf("logFileArgs(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}
