package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hsup/hsup/launchd"
)

func TestPlanInstall(t *testing.T) {
	unit := []byte("[Unit]\n")
	tests := []struct {
		name     string
		existing []byte
		exists   bool
		force    bool
		want     installStep
	}{
		{name: "nothing there", want: writeNew},
		{name: "nothing there, force", force: true, want: writeNew},
		{name: "the same bytes", existing: unit, exists: true, want: keepSame},
		{name: "the same bytes, force", existing: unit, exists: true, force: true, want: keepSame},
		{name: "another file", existing: []byte("[Unit]\nDescription=mine\n"), exists: true, want: refuse},
		{name: "another file, force", existing: []byte("x"), exists: true, force: true, want: replace},
		{name: "an empty file", existing: nil, exists: true, want: refuse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planInstall(tt.existing, tt.exists, unit, tt.force); got != tt.want {
				t.Errorf("planInstall = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInBuildCache(t *testing.T) {
	d := buildDirs{temp: []string{"/tmp", "/private/var/folders/x/T"}, cache: []string{"/root/.cache/go-build"}}
	tests := []struct {
		exe  string
		want bool
	}{
		{exe: "/tmp/go-build1686679443/b001/exe/hsup", want: true},
		{exe: "/private/var/folders/x/T/go-build99/b001/exe/hsup", want: true},
		{exe: "/root/.cache/go-build/ab/abcdef-d/hsup", want: true},
		{exe: "/tmp/hsup-e2e-123/hsup", want: false},
		{exe: "/tmp/go-build-notes", want: false}, // a file, not in a go-build directory
		{exe: "/usr/local/bin/hsup", want: false},
		{exe: "/root/.cache/go-build-other/hsup", want: false},
		{exe: "/root/go/bin/hsup", want: false},
	}
	for _, tt := range tests {
		if got := inBuildCache(tt.exe, d); got != tt.want {
			t.Errorf("inBuildCache(%q) = %v, want %v", tt.exe, got, tt.want)
		}
	}
}

// TestSystemdInstallRefusesOverwrite: --install writes the unit, is a
// no-op for the same bytes, refuses another file (exit 2, one line, file
// untouched) and replaces it with --force.
func TestSystemdInstallRefusesOverwrite(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	unit := filepath.Join(home, ".config", "systemd", "user", "sh.service")
	install := func(extra ...string) (int, string, string) {
		var out, errb bytes.Buffer
		args := append([]string{"hsup", "systemd", "unit", "--user", "--install", "--metrics-addr=127.0.0.1:9999",
			"--hsup-path=/usr/local/bin/hsup"}, extra...)
		code := run(append(args, "--", "/bin/sh", "-c", "true"), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errb := install(); code != 0 || !strings.HasPrefix(out, "wrote "+unit+"\nnow run:\n") || errb != "" {
		t.Fatalf("first install: exit %d, stdout %q, stderr %q", code, out, errb)
	}
	first, _ := os.ReadFile(unit)
	if code, out, _ := install(); code != 0 || !strings.HasPrefix(out, unit+" is up to date (nothing written)\nnow run:\n") {
		t.Fatalf("same unit again: exit %d, stdout %q; want a no-op", code, out)
	}
	code, out, errb := install("--stop-grace=30s")
	want := "hsup: " + unit + " exists and differs from the generated file: pass --force to replace it (run without --install to see the new one)\n"
	if code != 2 || errb != want || out != "" {
		t.Fatalf("another unit: exit %d, stdout %q, stderr %q; want exit 2, %q", code, out, errb, want)
	}
	if now, _ := os.ReadFile(unit); !bytes.Equal(now, first) {
		t.Fatalf("the refused install changed the unit:\n%s", now)
	}
	if code, out, errb := install("--stop-grace=30s", "--force"); code != 0 || !strings.HasPrefix(out, "replaced "+unit+"\n") {
		t.Fatalf("--force: exit %d, stdout %q, stderr %q", code, out, errb)
	}
	if now, _ := os.ReadFile(unit); !strings.Contains(string(now), "--stop-grace=30s") {
		t.Fatalf("--force did not replace the unit:\n%s", now)
	}
}

// TestLaunchdInstallRefusesBeforeLogDir: a refused plist install creates
// nothing, not even the log directory.
func TestLaunchdInstallRefusesBeforeLogDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	const label = "com.example.webui"
	plist := launchd.Path(label, home, false)
	if err := os.MkdirAll(filepath.Dir(plist), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plist, []byte("<plist>mine</plist>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"hsup", "launchd", "plist", "--label", label, "--install", "--hsup-path=/opt/hsup/bin/hsup",
		"--metrics-addr=", "--", "/bin/sh"}, &out, &errb)
	if code != 2 || !strings.HasPrefix(errb.String(), "hsup: "+plist+" exists and differs") || strings.Count(errb.String(), "\n") != 1 {
		t.Fatalf("exit %d, stderr %q; want exit 2 and one line", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(home, "Library", "Logs", label)); !os.IsNotExist(err) {
		t.Fatalf("the refused install created the log directory (%v)", err)
	}
	// --hsup-path is what the plist runs, as given.
	out.Reset()
	errb.Reset()
	if code := run([]string{"hsup", "launchd", "plist", "--label", label, "--hsup-path=/opt/hsup/bin/hsup",
		"--metrics-addr=", "--", "/bin/sh"}, &out, &errb); code != 0 {
		t.Fatalf("plist: exit %d: %s", code, errb.String())
	}
	j, err := launchd.Decode(out.Bytes())
	if err != nil || len(j.ProgramArguments) == 0 || j.ProgramArguments[0] != "/opt/hsup/bin/hsup" {
		t.Fatalf("ProgramArguments = %q (%v), want /opt/hsup/bin/hsup first", j.ProgramArguments, err)
	}
}

// TestHsupPath: a relative --hsup-path is refused; without one, an hsup
// built by go run (this test binary lives in a go-build directory too)
// gets one warning line.
func TestHsupPath(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"hsup", "systemd", "unit", "--hsup-path=bin/hsup", "--metrics-addr=", "--", "/bin/sh"}, &out, &errb)
	if want := "hsup: --hsup-path=\"bin/hsup\": give hsup's absolute path, where the service manager will find it\n"; code != 2 || errb.String() != want {
		t.Fatalf("relative --hsup-path: exit %d, stderr %q; want exit 2, %q", code, errb.String(), want)
	}
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	if !inBuildCache(exe, goBuildDirs(os.Getenv, os.TempDir())) {
		t.Skipf("this test binary (%s) is not in a go-build directory (go test -o?)", exe)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"hsup", "systemd", "unit", "--metrics-addr=", "--", "/bin/sh"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(errb.String(), "hsup: warning: this hsup runs from Go's build cache ("+exe+")") ||
		strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), "--hsup-path=") {
		t.Fatalf("stderr %q; want one warning line naming %s and --hsup-path", errb.String(), exe)
	}
}
