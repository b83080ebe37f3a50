package main

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/launchd"
	"github.com/hsup/hsup/managed"
	"github.com/hsup/hsup/systemd"
)

// The claims are read from files the real generators wrote: an explicit
// address, the default (no --metrics-addr), a disabled one (no claim), a
// file that is not hsup's, and the file being replaced (skipped).
func TestInstalledClaims(t *testing.T) {
	home := t.TempDir()
	agents := filepath.Join(home, "Library", "LaunchAgents")
	units := filepath.Join(home, ".config", "systemd", "user")
	cmd := func(args ...string) managed.Command {
		return managed.Command{Hsup: "/opt/homebrew/bin/hsup", RunArgs: args, Program: "/usr/bin/python3", StopGrace: time.Second}
	}
	plist := func(label string, c managed.Command) {
		data, err := launchd.Generate(launchd.Config{Label: label, Command: c, Home: home})
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(agents, label+".plist"), data)
	}
	unit := func(name string, c managed.Command) {
		text, err := systemd.Unit{Name: name, User: true, Command: c}.Render()
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(units, name+".service"), []byte(text))
	}
	plist("ai.one", cmd("--metrics-addr=127.0.0.1:9470"))
	plist("ai.two", cmd())
	plist("ai.off", cmd("--metrics-addr="))
	plist("ai.self", cmd("--metrics-addr=127.0.0.1:9480"))
	write(t, filepath.Join(agents, "com.other.plist"), []byte("not a plist"))
	unit("one", cmd("--metrics-addr=127.0.0.1:9471"))
	unit("two", cmd("--name=two"))
	write(t, filepath.Join(units, "other.service"), []byte("[Service]\nExecStart=/usr/bin/python3 -m http.server\n"))
	// A FIFO (its open would wait for a writer forever) and an alias of
	// the file being replaced are passed over.
	if err := syscall.Mkfifo(filepath.Join(agents, "fifo.plist"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(agents, "ai.self.plist"), filepath.Join(agents, "alias.plist")); err != nil {
		t.Fatal(err)
	}

	got := launchdClaims(home, filepath.Join(agents, "ai.self.plist"))
	want := []managed.Claim{
		{Addr: "127.0.0.1:9470", File: filepath.Join(agents, "ai.one.plist")},
		{Addr: managed.DefaultMetricsAddr, File: filepath.Join(agents, "ai.two.plist")},
	}
	if !slices.Equal(got, want) {
		t.Errorf("launchdClaims = %v, want %v", got, want)
	}
	got = systemdClaims(home, "")
	want = []managed.Claim{
		{Addr: "127.0.0.1:9471", File: filepath.Join(units, "one.service")},
		{Addr: managed.DefaultMetricsAddr, File: filepath.Join(units, "two.service")},
	}
	// /etc/systemd/system may hold this machine's own hsup units: only the
	// ones under home are checked.
	got = slices.DeleteFunc(got, func(c managed.Claim) bool { return filepath.Dir(c.File) != units })
	if !slices.Equal(got, want) {
		t.Errorf("systemdClaims = %v, want %v", got, want)
	}
}

func TestExecStart(t *testing.T) {
	unit := "[Unit]\nDescription=x\n[Service]\nType=notify\nExecStart=-\"/opt/hsup\" run --metrics-addr=127.0.0.1:9 -- /bin/app 'a b'\nExecStart=/second\n"
	got := execStart([]byte(unit))
	if len(got) < 3 || got[0] != "/opt/hsup" || got[1] != "run" || got[2] != "--metrics-addr=127.0.0.1:9" {
		t.Errorf("execStart = %q", got)
	}
	if got := execStart([]byte("[Service]\n")); got != nil {
		t.Errorf("execStart of a unit without one = %q", got)
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSkipped(t *testing.T) {
	claims := []managed.Claim{{Addr: "127.0.0.1:9464", File: "/a.plist"}}
	got := skipped("127.0.0.1:9466", claims)
	want := "9464 is taken by the service in /a.plist; 9465 is in use now"
	if got != want {
		t.Errorf("skipped = %q, want %q", got, want)
	}
}
