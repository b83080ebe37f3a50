package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/hsup/hsup/launchd"
)

// launchdPlist runs `hsup launchd plist ARGS -- /bin/sh` in process and
// returns its output and error.
func launchdPlist(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	argv := append([]string{"hsup", "launchd", "plist", "--label", "com.example.webui"}, args...)
	err := newApp(&out, io.Discard).Run(append(argv, "--", "/bin/sh", "-c", "exec server"))
	return out.String(), err
}

func TestLaunchdPlistDaemon(t *testing.T) {
	t.Setenv("PATH", "relative:/usr/local/bin:/tmp:"+t.TempDir())
	out, err := launchdPlist(t, "--daemon", "--user", "ann", "--group", "staff", "--restart=on-failure", "--nofile=8192")
	if err != nil {
		t.Fatal(err)
	}
	j, err := launchd.Decode([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if j.UserName != "ann" || j.GroupName != "staff" || j.SoftResourceLimits != nil || j.HardResourceLimits != nil {
		t.Errorf("user %q group %q soft %v hard %v; want ann, staff, no limits", j.UserName, j.GroupName,
			j.SoftResourceLimits, j.HardResourceLimits)
	}
	if j.KeepAlive.SuccessfulExit == nil || *j.KeepAlive.SuccessfulExit || j.ProcessType != "Standard" {
		t.Errorf("KeepAlive %+v, ProcessType %q; want {SuccessfulExit: false}, Standard", j.KeepAlive, j.ProcessType)
	}
	if j.StandardErrorPath != "/Library/Logs/com.example.webui/launchd.log" {
		t.Errorf("StandardErrorPath = %q", j.StandardErrorPath)
	}
	path := j.EnvironmentVariables["PATH"]
	if strings.Contains(path, "relative") || strings.Contains(path, "/tmp") || !strings.HasSuffix(path, "/usr/bin:/bin:/usr/sbin:/sbin") {
		t.Errorf("PATH = %q: want no relative or temporary entries, the system directories last", path)
	}
	if _, ok := j.EnvironmentVariables["HOME"]; ok {
		t.Errorf("a daemon's HOME is set (%q); launchd sets it from UserName", j.EnvironmentVariables["HOME"])
	}
}

func TestLaunchdPlistDaemonUserFromSudo(t *testing.T) {
	t.Setenv("SUDO_USER", "ann")
	out, err := launchdPlist(t, "--daemon", "--process-type=Interactive")
	if err != nil {
		t.Fatal(err)
	}
	j, err := launchd.Decode([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if j.UserName != "ann" || j.GroupName != "" || j.ProcessType != "Interactive" {
		t.Fatalf("UserName %q GroupName %q ProcessType %q; want ann from SUDO_USER, no group, Interactive", j.UserName, j.GroupName, j.ProcessType)
	}
}

func TestLaunchdPlistRefusals(t *testing.T) {
	tests := []struct {
		name string
		args []string
		says string
	}{
		{name: "user without daemon", args: []string{"--user", "ann"}, says: "--daemon"},
		{name: "group without daemon", args: []string{"--group", "staff"}, says: "--daemon"},
		{name: "unknown process type", args: []string{"--process-type", "Realtime"}, says: "process type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := launchdPlist(t, tt.args...)
			assertUsageError(t, err, tt.says)
		})
	}
}

func TestDaemonUser(t *testing.T) {
	current := func() string { return "root" }
	tests := []struct {
		name, flag, sudo, want string
	}{
		{name: "flag wins", flag: "_webui", sudo: "ann", want: "_webui"},
		{name: "the user who ran sudo", sudo: "ann", want: "ann"},
		{name: "the current user", want: "root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := daemonUser(tt.flag, tt.sudo, current); got != tt.want {
				t.Errorf("daemonUser(%q, %q) = %q, want %q", tt.flag, tt.sudo, got, tt.want)
			}
		})
	}
}
