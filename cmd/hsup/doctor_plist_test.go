package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// doctorOut runs `hsup doctor ARGS` in process as if from a terminal
// (no service manager in the environment) and returns its exit code,
// stdout and stderr.
func doctorOut(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	for _, k := range []string{"INVOCATION_ID", "NOTIFY_SOCKET", "XPC_SERVICE_NAME", "KUBERNETES_SERVICE_HOST"} {
		t.Setenv(k, "")
	}
	var out, errb bytes.Buffer
	// No metrics listener and a small --nofile: doctor's verdict must not
	// depend on the machine's FD limits.
	code := run(append([]string{"hsup", "doctor", "--metrics-addr=", "--nofile=64"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDoctorPlist(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	generated, err := launchdPlist(t, "--stop-grace=20s")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plist := filepath.Join(dir, "com.example.webui.plist")
	if err := os.WriteFile(plist, []byte(generated), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.plist")
	tests := []struct {
		name    string
		args    []string
		code    int    // off macOS, whose GUI and TCC facts add their own warnings
		line    string // the launchd stop timeout line
		warning string // "" for none about the plist or the grace
	}{
		{name: "generated plist fits its grace", args: []string{"--plist", plist, "--stop-grace=20s"},
			line: "launchd stop timeout  25s (ExitTimeOut in " + plist + ")"},
		{name: "a longer grace than the plist was generated for", args: []string{"--plist=" + plist, "--stop-grace=21s"}, code: 1,
			line:    "launchd stop timeout  25s (ExitTimeOut in " + plist + ")",
			warning: "--stop-grace 21s leaves hsup 4s of the launchd stop timeout 25s"},
		{name: "missing plist is a warning, not a failure", args: []string{"--plist", missing, "--stop-grace=0s"}, code: 1,
			line:    "launchd stop timeout  5s (launchd's default; " + missing + " could not be read)",
			warning: "cannot read ExitTimeOut from " + missing + " (no such file or directory): doctor assumes launchd's default of 5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := doctorOut(t, tt.args...)
			if errOut != "" {
				t.Errorf("stderr = %q, want nothing", errOut)
			}
			if runtime.GOOS != "darwin" && code != tt.code {
				t.Errorf("exit %d, want %d:\n%s", code, tt.code, out)
			}
			if !strings.Contains(out, "\n  "+tt.line+"\n") {
				t.Errorf("report lacks %q:\n%s", tt.line, out)
			}
			if tt.warning != "" && !strings.Contains(out, "\n  - "+tt.warning) {
				t.Errorf("report lacks the warning %q:\n%s", tt.warning, out)
			}
			if tt.warning == "" && strings.Contains(out, "--stop-grace") {
				t.Errorf("report warns about --stop-grace:\n%s", out)
			}
		})
	}
}
