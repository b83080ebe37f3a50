package runstate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultDir(t *testing.T) {
	tests := []struct {
		name string
		goos string
		xdg  string
		home string
		want string
	}{
		{name: "xdg absolute", goos: "linux", xdg: "/var/state", home: "/home/u", want: "/var/state/hsup"},
		{name: "xdg relative is ignored", goos: "linux", xdg: "state", home: "/home/u", want: "/home/u/.local/state/hsup"},
		{name: "no xdg", goos: "linux", home: "/home/u", want: "/home/u/.local/state/hsup"},
		{name: "xdg without home", goos: "linux", xdg: "/x", want: "/x/hsup"},
		{name: "no home", goos: "linux"},
		{name: "relative home is unknown", goos: "linux", home: "u"},
		{name: "freebsd like linux", goos: "freebsd", home: "/home/u", want: "/home/u/.local/state/hsup"},
		{name: "macos", goos: "darwin", home: "/Users/u", want: "/Users/u/Library/Application Support/hsup"},
		{name: "macos ignores xdg", goos: "darwin", xdg: "/x", home: "/Users/u", want: "/Users/u/Library/Application Support/hsup"},
		{name: "macos no home", goos: "darwin", xdg: "/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "XDG_STATE_HOME" {
					return tt.xdg
				}
				return ""
			}
			if got := DefaultDir(tt.goos, getenv, tt.home); got != tt.want {
				t.Errorf("DefaultDir(%q, XDG_STATE_HOME=%q, %q) = %q, want %q", tt.goos, tt.xdg, tt.home, got, tt.want)
			}
		})
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // "" for valid
	}{
		{name: "plain", in: "webui"},
		{name: "all allowed bytes", in: "Open-WebUI_2.0.py"},
		{name: "64 bytes", in: strings.Repeat("a", 64)},
		{name: "leading dot", in: ".hidden"},
		{name: "empty", in: "", wantErr: "is empty"},
		{name: "65 bytes", in: strings.Repeat("a", 65), wantErr: "65 bytes long"},
		{name: "dot", in: ".", wantErr: "not allowed"},
		{name: "dot dot", in: "..", wantErr: "not allowed"},
		{name: "slash", in: "a/b", wantErr: `'/' at byte 1`},
		{name: "space", in: "my app", wantErr: `' ' at byte 2`},
		{name: "non-ASCII", in: "wébui", wantErr: "at byte 1"},
		{name: "newline", in: "a\nb", wantErr: `'\n' at byte 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidName(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidName(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ValidName(%q) = %v, want an error containing %q", tt.in, err, tt.wantErr)
			}
			assertOneLine(t, err)
			if !strings.Contains(err.Error(), "--name") {
				t.Errorf("error %q does not say how to fix it (--name)", err)
			}
		})
	}
}

func TestOpenCreatesPrivateDir(t *testing.T) {
	state := filepath.Join(t.TempDir(), "a", "b")
	d, err := Open(state, "webui")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(state, "webui"); d.Path != want || d.Name != "webui" {
		t.Fatalf("Open = %+v, want Path %q, Name webui", d, want)
	}
	fi, err := os.Stat(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("service dir mode %v, want a directory no one else may use", fi.Mode())
	}
	if _, err := Open(state, "webui"); err != nil {
		t.Errorf("second Open: %v", err)
	}
}

func TestOpenRelativeStateDir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	d, err := Open("state", "webui")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(d.Path) || !strings.HasSuffix(d.Path, filepath.Join("state", "webui")) {
		t.Errorf("Path = %q, want an absolute path ending in state/webui", d.Path)
	}
}

func TestOpenRefuses(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		stateDir string
		service  string
		wantErr  string
	}{
		{name: "bad name", stateDir: tmp, service: "a/b", wantErr: "--name"},
		{name: "no state dir", stateDir: "", service: "webui", wantErr: "--state-dir"},
		{name: "service path is a file", stateDir: tmp, service: "file", wantErr: "is not a directory"},
		{name: "state dir under a file", stateDir: filepath.Join(file, "sub"), service: "webui", wantErr: "give --state-dir a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Open(tt.stateDir, tt.service)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Open(%q, %q) = %+v, %v; want an error containing %q", tt.stateDir, tt.service, d, err, tt.wantErr)
			}
			assertOneLine(t, err)
		})
	}
}

func assertOneLine(t *testing.T, err error) {
	t.Helper()
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}
