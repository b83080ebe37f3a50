package systemd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/managed"
)

// trickyArgs exercise every quoting rule: spaces, both quotes, specifier
// and variable characters, backslashes, control characters, a lone
// semicolon, an empty word and non-ASCII text.
var trickyArgs = []string{
	"-c", `printf '%s\n' "$HOME" 100% ${X} $$`, "a b", `it's`, `say "hi"`,
	`back\slash`, "tab\there", "new\nline", ";", "", "%n", "café", "--x=a=b",
}

func testUnit(t *testing.T, name string, user bool) Unit {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("find test binary: %v", err)
	}
	wd := filepath.Join(t.TempDir(), "work dir 100%")
	if err := os.Mkdir(wd, 0o700); err != nil {
		t.Fatal(err)
	}
	return Unit{
		Name: name, User: user,
		Command: managed.Command{
			Hsup:      self,
			RunArgs:   []string{"--nofile=8192", "--health-url=http://127.0.0.1:8787/health?x=1&y=%41", "--stop-grace=10s"},
			Program:   "/bin/sh",
			Args:      trickyArgs,
			StopGrace: 10 * time.Second,
		},
		WorkingDirectory: wd,
		NoFile:           8192,
	}
}

func (u Unit) argv() []string {
	a := append([]string{u.Hsup, "run"}, u.RunArgs...)
	a = append(a, "--", u.Program)
	return append(a, u.Args...)
}

func TestRenderRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		user bool
	}{
		{name: "hsup-system-test", user: false},
		{name: "hsup-user-test@one", user: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := testUnit(t, tt.name, tt.user)
			text, err := u.Render()
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			line := unitValue(t, text, "ExecStart")
			got, err := splitCommandLine(line)
			if err != nil {
				t.Fatalf("splitCommandLine(%q): %v", line, err)
			}
			if !slices.Equal(got, u.argv()) {
				t.Fatalf("argv round trip:\n got %q\nwant %q", got, u.argv())
			}
			if runtime.GOOS != "linux" {
				t.Log("systemd-analyze exists only on Linux; checked the round trip through splitCommandLine")
				return
			}
			path := filepath.Join(t.TempDir(), tt.name+".service")
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			verifyUnit(t, path, tt.user)
			if got := systemdArgv(t, path, tt.user); !slices.Equal(got, u.argv()) {
				t.Fatalf("systemd's view of ExecStart:\n got %q\nwant %q", got, u.argv())
			}
		})
	}
}

func unitValue(t *testing.T, text, key string) string {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			return v
		}
	}
	t.Fatalf("no %s= in unit:\n%s", key, text)
	return ""
}

// runAnalyze runs systemd-analyze verify on one unit file, bounded in time.
// A user manager needs a runtime directory, which a container lacks.
func runAnalyze(t *testing.T, path string, user, debug bool) (stdout, stderr string, err error) {
	t.Helper()
	bin, lerr := exec.LookPath("systemd-analyze")
	if lerr != nil {
		t.Fatalf("systemd-analyze not found (install systemd to run this test): %v", lerr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := []string{"verify", "--man=no"}
	if user {
		args = append(args, "--user")
	}
	cmd := exec.CommandContext(ctx, bin, append(args, path)...)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir(), "SYSTEMD_PAGER=", "SYSTEMD_LOG_COLOR=0")
	if debug {
		// At debug level verify dumps each unit as systemd parsed it.
		cmd.Env = append(cmd.Env, "SYSTEMD_LOG_LEVEL=debug")
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func verifyUnit(t *testing.T, path string, user bool) {
	t.Helper()
	_, stderr, err := runAnalyze(t, path, user, false)
	if err != nil {
		t.Fatalf("systemd-analyze verify %s: %v\n%s", path, err, stderr)
	}
	// Unknown keys and bad values are only warnings with exit status 0.
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, filepath.Base(path)) {
			t.Errorf("systemd-analyze verify warned: %s", l)
		}
	}
}

// systemdArgv reads the "Command Line:" systemd dumped for ExecStart and
// applies the $$ -> $ substitution systemd does at exec time.
func systemdArgv(t *testing.T, path string, user bool) []string {
	t.Helper()
	stdout, stderr, err := runAnalyze(t, path, user, true)
	if err != nil {
		t.Fatalf("systemd-analyze verify (debug): %v\n%s", err, stderr)
	}
	_, after, ok := strings.Cut(stdout, "-> ExecStart:")
	if !ok {
		t.Fatalf("no ExecStart in systemd's dump:\n%s", stdout)
	}
	_, cmdline, ok := strings.Cut(after, "Command Line: ")
	if !ok {
		t.Fatalf("no Command Line in systemd's dump:\n%s", after)
	}
	cmdline, _, _ = strings.Cut(cmdline, "\n")
	argv, err := splitDump(cmdline)
	if err != nil {
		t.Fatalf("parse systemd's command line %q: %v", cmdline, err)
	}
	for i, a := range argv {
		argv[i] = strings.ReplaceAll(a, "$$", "$")
	}
	return argv
}

// splitDump parses systemd's quote_command_line output: words quoted with
// "..." and C escapes, plus \$ for a dollar.
func splitDump(s string) ([]string, error) {
	var argv []string
	var b strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '$':
			b.WriteByte('$')
			i++
		case c == '\\':
			n, err := cUnescape(&b, s[i+1:])
			if err != nil {
				return nil, err
			}
			i += n
		case c == '"':
			quoted, inWord = !quoted, true
			continue
		case c == ' ' && !quoted:
			if inWord {
				argv = append(argv, b.String())
				b.Reset()
			}
			inWord = false
			continue
		default:
			b.WriteByte(c)
		}
		inWord = true
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote")
	}
	if inWord {
		argv = append(argv, b.String())
	}
	return argv, nil
}

func TestRenderSettings(t *testing.T) {
	tests := []struct {
		name  string
		unit  func(Unit) Unit
		want  []string
		avoid []string
	}{
		{
			name: "system unit with defaults",
			unit: func(u Unit) Unit { return u },
			want: []string{"Type=notify", "NotifyAccess=main", "Restart=on-failure", "RestartPreventExitStatus=126 127", "RestartSec=5s",
				"WatchdogSec=30s", "KillMode=mixed", "TimeoutStopSec=15s", "LimitNOFILE=8192",
				"WantedBy=multi-user.target", "After=network.target", "Description=hsup: sh"},
		},
		{
			name: "user unit with a fractional grace",
			unit: func(u Unit) Unit {
				u.User, u.StopGrace = true, 1500*time.Millisecond
				return u
			},
			want:  []string{"WantedBy=default.target", "RestartSec=5s", "WatchdogSec=30s", "TimeoutStopSec=7s"},
			avoid: []string{"multi-user.target"},
		},
		{
			name:  "inherit nofile",
			unit:  func(u Unit) Unit { u.NoFile = 0; return u },
			avoid: []string{"LimitNOFILE="},
		},
		{
			name: "specifiers escaped in description and directory",
			unit: func(u Unit) Unit {
				u.Program, u.WorkingDirectory = "/opt/100% webui\nsecond line", "/srv/a b%c"
				return u
			},
			want: []string{"Description=hsup: 100%% webui second line", "WorkingDirectory=/srv/a b%%c"},
		},
		{
			// A trailing backslash would continue Description= into After=.
			name: "description without a trailing backslash",
			unit: func(u Unit) Unit { u.Program = `/opt/odd\\`; return u },
			want: []string{"Description=hsup: odd", "After=network.target"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, err := tt.unit(testUnit(t, "app", false)).Render()
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			lines := strings.Split(text, "\n")
			for _, w := range tt.want {
				if !slices.Contains(lines, w) {
					t.Errorf("missing line %q in:\n%s", w, text)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(text, a) {
					t.Errorf("unexpected %q in:\n%s", a, text)
				}
			}
		})
	}
}

func TestRenderRefusals(t *testing.T) {
	tests := []struct {
		name    string
		unit    func(Unit) Unit
		wantErr string
	}{
		{name: "empty name", unit: func(u Unit) Unit { u.Name = ""; return u }, wantErr: "unit name is empty"},
		{name: "slash in name", unit: func(u Unit) Unit { u.Name = "a/b"; return u }, wantErr: "is not allowed"},
		{name: "space in name", unit: func(u Unit) Unit { u.Name = "my app"; return u }, wantErr: "is not allowed"},
		{name: "template without instance", unit: func(u Unit) Unit { u.Name = "app@"; return u }, wantErr: "'@'"},
		{name: "service suffix", unit: func(u Unit) Unit { u.Name = "app.service"; return u }, wantErr: ".service suffix"},
		{name: "long name", unit: func(u Unit) Unit { u.Name = strings.Repeat("a", 300); return u }, wantErr: "longer than"},
		{name: "relative program", unit: func(u Unit) Unit { u.Program = "python3"; return u }, wantErr: "absolute path"},
		{name: "empty program", unit: func(u Unit) Unit { u.Program = ""; return u }, wantErr: "absolute path"},
		{name: "relative hsup", unit: func(u Unit) Unit { u.Hsup = "./hsup"; return u }, wantErr: "hsup path"},
		{name: "empty hsup", unit: func(u Unit) Unit { u.Hsup = ""; return u }, wantErr: "hsup path"},
		{name: "dollar in hsup path", unit: func(u Unit) Unit { u.Hsup = "/opt/$x/hsup"; return u }, wantErr: "contains $"},
		{name: "negative grace", unit: func(u Unit) Unit { u.StopGrace = -time.Second; return u }, wantErr: "stop grace"},
		{name: "huge grace", unit: func(u Unit) Unit { u.StopGrace = 1000 * time.Hour; return u }, wantErr: "stop grace"},
		{name: "NUL in argument", unit: func(u Unit) Unit { u.Args = []string{"a\x00b"}; return u }, wantErr: "NUL"},
		{name: "invalid UTF-8", unit: func(u Unit) Unit { u.Args = []string{"\xff"}; return u }, wantErr: "UTF-8"},
		{name: "relative directory", unit: func(u Unit) Unit { u.WorkingDirectory = "srv"; return u }, wantErr: "working directory"},
		{name: "directory ending in a backslash", unit: func(u Unit) Unit { u.WorkingDirectory = `/srv/a\`; return u }, wantErr: "backslash"},
		{name: "directory ending in a space", unit: func(u Unit) Unit { u.WorkingDirectory = "/srv/a "; return u }, wantErr: "whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.unit(testUnit(t, "app", false)).Render()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Render error = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestUnitPathAndCommands(t *testing.T) {
	tests := []struct {
		name     string
		user     bool
		wantPath string
		wantCmds []string
	}{
		{
			name: "user", user: true, wantPath: "/home/ann/.config/systemd/user/webui.service",
			wantCmds: []string{"systemctl --user daemon-reload", "systemctl --user enable --now webui.service",
				"systemctl --user status --no-pager webui.service"},
		},
		{
			name: "system", user: false, wantPath: "/etc/systemd/system/webui.service",
			wantCmds: []string{"systemctl daemon-reload", "systemctl enable --now webui.service",
				"systemctl status --no-pager webui.service"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UnitPath("webui", tt.user, "/home/ann"); got != tt.wantPath {
				t.Errorf("UnitPath = %q, want %q", got, tt.wantPath)
			}
			if got := InstallCommands("webui", tt.user); !slices.Equal(got, tt.wantCmds) {
				t.Errorf("InstallCommands = %q, want %q", got, tt.wantCmds)
			}
		})
	}
}

func ExampleQuoteCommandLine() {
	line, _ := QuoteCommandLine([]string{"/usr/bin/python3", "server.py", "--title", `My "100%" $HOME`})
	fmt.Println(line)
	// Output: /usr/bin/python3 server.py --title "My \"100%%\" $$HOME"
}
