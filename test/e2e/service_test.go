package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hsup/hsup/launchd"
	"github.com/hsup/hsup/managed"
	"github.com/hsup/hsup/systemd"
	"github.com/hsup/hsup/test/hsuptest"
)

// The generators are tested in their packages; these tests cover the CLI
// around them: run flags re-rendered as given, absolute paths, refusals.

func TestSystemdUnitCommand(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-c", `echo "a b" 100% $HOME`}
	p := hsuptest.Start(t, append([]string{"systemd", "unit", "--user", "--name", "webui",
		"--health-interval=2s", "--nofile=8192", "--metrics-addr=127.0.0.1:9500", "--", "sh"}, args...), "HOME="+t.TempDir())
	if code := p.Wait(t, exitWait); code != 0 {
		t.Fatalf("exit %d: %s", code, p.RawStderr())
	}
	unit := p.Stdout()
	var exec_ string
	for _, line := range strings.Split(unit, "\n") {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			exec_ = v
		}
	}
	// The quoting's round trip through systemd's own parser is tested in
	// package systemd; here the CLI must hand it exactly this argv.
	// --name is a run flag: the service's lock and the unit share the name.
	want := append([]string{hsuptest.Binary(t), "run", "--nofile=8192", "--health-interval=2s", "--name=webui",
		"--metrics-addr=127.0.0.1:9500", "--", sh}, args...)
	wantLine, err := systemd.QuoteCommandLine(want)
	if err != nil {
		t.Fatal(err)
	}
	if exec_ != wantLine {
		t.Fatalf("ExecStart\n got %s\nwant %s (argv %q)", exec_, wantLine, want)
	}
	for _, line := range []string{"Type=notify", "LimitNOFILE=8192", "WantedBy=default.target"} {
		if !strings.Contains(unit, "\n"+line+"\n") {
			t.Errorf("unit lacks %q:\n%s", line, unit)
		}
	}
}

func TestLaunchdPlistCommand(t *testing.T) {
	t.Parallel()
	logs := t.TempDir()
	p := hsuptest.Start(t, []string{"launchd", "plist", "--label", "ai.hermes.webui", "--log-dir", logs,
		"--stop-grace=20s", "--metrics-addr=", "--", "/bin/sh", "-c", "exec server --foreground"}, "HOME="+t.TempDir())
	if code := p.Wait(t, exitWait); code != 0 {
		t.Fatalf("exit %d: %s", code, p.RawStderr())
	}
	job, err := launchd.Decode([]byte(p.Stdout()))
	if err != nil {
		t.Fatal(err)
	}
	// The job's label names its service (--name), so two jobs of one program never share a lock.
	want := []string{hsuptest.Binary(t), "run", "--stop-grace=20s", "--metrics-addr=", "--name=ai.hermes.webui",
		"--log-file=" + filepath.Join(logs, "hsup.log"), "--output-file=" + filepath.Join(logs, "output.log"),
		"--", "/bin/sh", "-c", "exec server --foreground"}
	if !reflect.DeepEqual(job.ProgramArguments, want) {
		t.Fatalf("ProgramArguments\n got %q\nwant %q", job.ProgramArguments, want)
	}
	if job.ExitTimeOut <= 20 || job.StandardErrorPath != filepath.Join(logs, "launchd.log") {
		t.Fatalf("ExitTimeOut %d (want > the 20s grace), stderr path %q", job.ExitTimeOut, job.StandardErrorPath)
	}
	// An agent: KeepAlive follows --restart (always), a soft limit only, Standard.
	if !job.KeepAlive.Always || job.ProcessType != "Standard" || job.HardResourceLimits != nil ||
		job.SoftResourceLimits == nil || job.SoftResourceLimits.NumberOfFiles != 4096 || job.UserName != "" {
		t.Fatalf("agent job %+v", job)
	}
	path := strings.Split(job.EnvironmentVariables["PATH"], ":")
	for _, dir := range launchd.SystemPath {
		if !slices.Contains(path, dir) {
			t.Fatalf("PATH %q lacks %s", path, dir)
		}
	}
}

func TestLaunchdPlistDaemonCommand(t *testing.T) {
	t.Parallel()
	p := hsuptest.Start(t, []string{"launchd", "plist", "--label", "ai.hermes.webui", "--daemon", "--user", "ann",
		"--restart=never", "--", "/bin/sh", "-c", "exec server"})
	if code := p.Wait(t, exitWait); code != 0 {
		t.Fatalf("exit %d: %s", code, p.RawStderr())
	}
	job, err := launchd.Decode([]byte(p.Stdout()))
	if err != nil {
		t.Fatal(err)
	}
	// A daemon runs as --user, gets no limit keys (hsup sets the child's
	// --nofile), logs under /Library/Logs, and --restart=never is KeepAlive false.
	if job.UserName != "ann" || job.SoftResourceLimits != nil || job.HardResourceLimits != nil ||
		job.KeepAlive.Always || job.KeepAlive.SuccessfulExit != nil ||
		job.StandardOutPath != "/Library/Logs/ai.hermes.webui/launchd.log" {
		t.Fatalf("daemon job %+v", job)
	}
}

// TestLaunchdPlistKeepsBrewSymlink runs hsup through a symlink into a
// Homebrew-like Cellar: the plist pins the symlink, which survives an
// upgrade, not the versioned file it resolves to.
func TestLaunchdPlistKeepsBrewSymlink(t *testing.T) {
	// Not parallel: a copied binary exec'd while other tests fork can fail
	// with ETXTBSY (golang/go#22315); a hard link, tried first, cannot.
	prefix := t.TempDir()
	cellar := filepath.Join(prefix, "Cellar", "hsup", "1.2.3", "bin")
	link := filepath.Join(prefix, "bin", "hsup")
	for _, dir := range []string{cellar, filepath.Dir(link)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(hsuptest.Binary(t), filepath.Join(cellar, "hsup")); err != nil {
		data, err := os.ReadFile(hsuptest.Binary(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cellar, "hsup"), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join("..", "Cellar", "hsup", "1.2.3", "bin", "hsup"), link); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(link, "launchd", "plist", "--label", "ai.hermes.webui", "--", "/bin/sh").Output()
	if err != nil {
		t.Fatalf("%s: %v", link, err)
	}
	job, err := launchd.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if job.ProgramArguments[0] != link {
		t.Fatalf("hsup path %q, want the symlink %q", job.ProgramArguments[0], link)
	}
}

// TestServicesGetTheirOwnMetricsPort: a second service generated on a
// machine where one is installed gets another metrics port, and says so;
// one given the first's port is refused; and the port is written into the
// job, so that a third generation sees both.
func TestServicesGetTheirOwnMetricsPort(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	gen := func(label string, extra ...string) (string, *hsuptest.Proc) {
		args := append([]string{"launchd", "plist", "--label", label}, extra...)
		p := hsuptest.Start(t, append(args, "--", "/bin/sh"), "HOME="+home)
		code := p.Wait(t, exitWait)
		if code != 0 {
			return "", p
		}
		data := []byte(p.Stdout())
		if slices.Contains(extra, "--install") {
			var err error
			if data, err = os.ReadFile(launchd.Path(label, home, false)); err != nil {
				t.Fatal(err)
			}
		}
		job, err := launchd.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		addr, ok := managed.MetricsAddrOf(job.ProgramArguments)
		if !ok || !strings.HasPrefix(addr, "127.0.0.1:94") {
			t.Fatalf("%s: metrics address %q in %q", label, addr, job.ProgramArguments)
		}
		return addr, p
	}
	first, _ := gen("ai.one", "--install")
	second, p := gen("ai.two")
	if second == first {
		t.Fatalf("both services on %s", first)
	}
	if !strings.Contains(p.RawStderr(), "ai.one.plist") {
		t.Errorf("no line saying why the port moved: %q", p.RawStderr())
	}
	if _, p := gen("ai.three", "--metrics-addr="+first); p.Wait(t, exitWait) != 2 || !strings.Contains(p.RawStderr(), "ai.one.plist") {
		t.Errorf("the first's port given to a third: %q, want exit 2 naming ai.one's plist", p.RawStderr())
	}
}

func TestServiceRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		says string
	}{
		{name: "relative program", args: []string{"systemd", "unit", "--", "./server.py"}, says: "relative"},
		{name: "missing program", args: []string{"systemd", "unit", "--", "/no/such/program"}, says: "not found"},
		{name: "bad label", args: []string{"launchd", "plist", "--label", "bad label!", "--", "/bin/sh"}, says: "label"},
		{name: "bad flag value", args: []string{"launchd", "plist", "--label", "x", "--restart=sometimes", "--", "/bin/sh"}, says: "--restart"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := hsuptest.Start(t, c.args)
			if code := p.Wait(t, exitWait); code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
			lines := strings.Split(strings.TrimSpace(p.RawStderr()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], c.says) || p.Stdout() != "" {
				t.Fatalf("stderr %q (want one line saying %q), stdout %q", p.RawStderr(), c.says, p.Stdout())
			}
		})
	}
}

func TestDoctorExitCodes(t *testing.T) {
	t.Parallel()
	// Whatever runs the tests (a systemd unit, a container) must not
	// change doctor's verdict, nor must a low hard FD limit.
	env := []string{"INVOCATION_ID=", "NOTIFY_SOCKET=", "XPC_SERVICE_NAME=", "KUBERNETES_SERVICE_HOST="}
	p := hsuptest.Start(t, []string{"doctor", "--metrics-addr=", "--nofile=64"}, env...)
	if code := p.Wait(t, exitWait); code != 0 {
		t.Fatalf("defaults: exit %d, want 0:\n%s", code, p.Stdout())
	}
	if !strings.Contains(p.Stdout(), "17s") {
		t.Errorf("defaults: no 17s cheap budget in:\n%s", p.Stdout())
	}
	p = hsuptest.Start(t, []string{"doctor", "--metrics-addr=", "--nofile=64", "--deep-interval=5s", "--deep-timeout=2s"}, env...)
	if code := p.Wait(t, exitWait); code != 1 {
		t.Fatalf("a deep probe every 5s: exit %d, want 1 (warning):\n%s", code, p.Stdout())
	}
}
