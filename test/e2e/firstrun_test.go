package e2e

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/hsup/hsup/test/hsuptest"
)

// The small things a first-time user trips over, against the real binary:
// each mistake is one line on stderr with a documented exit code, and a
// running hsup says which version it is and with what settings.

func TestMistakesSayWhatWasMeant(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		want string // the whole of stderr
	}{
		{name: "command typo", args: []string{"rn"}, code: 2,
			want: `hsup: no command "rn": did you mean "run"? (see hsup --help)`},
		{name: "flag typo", args: []string{"run", "--helth-url=http://127.0.0.1:1/health", "--", "/bin/true"}, code: 2,
			want: "hsup: unknown flag --helth-url: did you mean --health-url? (see hsup run --help)"},
		{name: "bare duration", args: []string{"run", "--health-interval=5", "--", "/bin/true"}, code: 2,
			want: "hsup: --health-interval=5: a duration needs a unit: use 5s (see hsup run --help)"},
		{name: "check flag after the URL", args: []string{"check", "http://127.0.0.1:1/health", "--deep"}, code: 2,
			want: "hsup: flags go before the URL: hsup check --deep http://127.0.0.1:1/health"},
		{name: "URL without scheme", args: []string{"check", "127.0.0.1:8787/health"}, code: 2,
			want: `hsup: health URL "127.0.0.1:8787/health" has no scheme: did you mean http://127.0.0.1:8787/health?`},
		{name: "URL without scheme, localhost", args: []string{"run", "--health-url=localhost:8787/health", "--", "/bin/true"}, code: 2,
			want: `hsup: --health-url: health URL "localhost:8787/health" has no scheme: did you mean http://localhost:8787/health?`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := hsuptest.Start(t, c.args)
			if code := p.Wait(t, exitWait); code != c.code || p.RawStderr() != c.want+"\n" || p.Stdout() != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit %d, %q", code, p.RawStderr(), p.Stdout(), c.code, c.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	p := hsuptest.Start(t, []string{"version"})
	if code := p.Wait(t, exitWait); code != 0 {
		t.Fatalf("exit %d: %s", code, p.RawStderr())
	}
	// The build of hsuptest has VCS information only in a git checkout
	// with VCS stamping on.
	re := regexp.MustCompile(`^hsup \S+ ([0-9a-f]{40}(\+dirty)?|\(no VCS info\)) go1\.\S+\n$`)
	if !re.MatchString(p.Stdout()) {
		t.Fatalf("hsup version printed %q, want version, revision or (no VCS info), Go version", p.Stdout())
	}
}

// TestDirectoryAsProgram: a directory is "is a directory", exit 126, on
// the first start and through the _nofile-exec shim (a later start).
func TestDirectoryAsProgram(t *testing.T) {
	dir := t.TempDir()
	want := fmt.Sprintf("hsup: program %q is a directory: give the path of the program file\n", dir)
	for name, args := range map[string][]string{
		"run":  runArgs(t, "--", dir),
		"shim": {"_nofile-exec", "--nofile=256", "--", dir, dir},
	} {
		t.Run(name, func(t *testing.T) {
			p := hsuptest.Start(t, args)
			if code := p.Wait(t, exitWait); code != 126 || p.RawStderr() != want {
				t.Fatalf("exit %d, stderr %q; want 126, %q", code, p.RawStderr(), want)
			}
		})
	}
}

// TestDemoPortTaken: the demo checks its port before the banner and fails
// once, with one line, exit 75.
func TestDemoPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	p := hsuptest.Start(t, []string{"demo", "--log-format=json", "--metrics-addr=", fmt.Sprintf("--port=%d", port)})
	code := p.Wait(t, exitWait)
	errOut := p.RawStderr()
	if code != 75 || p.Stdout() != "" || len(p.Lines()) != 0 || strings.Count(errOut, "\n") != 1 ||
		!strings.HasPrefix(errOut, "hsup: demo: the app's address "+addr+" is in use") ||
		!strings.HasSuffix(errOut, ": stop that, or give the demo another --port\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q, log %v; want exit 75, no banner, one line", code, p.Stdout(), errOut, p.Lines())
	}
}

// TestStartLine: the first line of a run names the version and the
// effective settings by flag; a probe timeout not below its interval is
// one WARN line; the metrics say hsup_build_info.
func TestStartLine(t *testing.T) {
	metrics := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
	health := fmt.Sprintf("http://127.0.0.1:%d/health", hsuptest.FreePort(t))
	args := append(runArgs(t), "--metrics-addr="+metrics, "--health-url="+health, "--health-interval=2s",
		"--health-timeout=2s", "--startup-grace=1m")
	cmd, env := helperCmd(t, "wait-term", "0")
	p := hsuptest.Start(t, append(args, cmd...), env)
	start, _ := p.WaitLine(t, 0, lineWait, "the start line", func(l hsuptest.Line) bool { return l.Msg() == "hsup starting" })
	set, _ := start["settings"].(map[string]any)
	if start.Str("version") == "" || !strings.HasPrefix(start.Str("goversion"), "go1.") || set == nil ||
		set["health-url"] != health || set["health-interval"] != "2s" || set["stop-signal"] != "SIGTERM" ||
		set["metrics-addr"] != metrics || set["restart"] != "always" {
		t.Fatalf("start line %v: want version, goversion and the settings by flag name", start)
	}
	const want = "--health-timeout 2s is not below --health-interval 2s"
	p.WaitLine(t, 0, lineWait, "the timeout warning", func(l hsuptest.Line) bool {
		return l.Str("level") == "warn" && strings.HasPrefix(l.Msg(), want)
	})
	ready(p, t)
	samples, _ := hsuptest.Scrape(t, "http://"+metrics+"/metrics")
	found := false
	for series, v := range samples {
		if strings.HasPrefix(series, "hsup_build_info{") && v == 1 &&
			strings.Contains(series, `version="`+start.Str("version")+`"`) && strings.Contains(series, `goversion="`+start.Str("goversion")+`"`) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no hsup_build_info 1 with the start line's version in %v", samples)
	}
	p.Signal(t, syscall.SIGTERM)
	if code := p.Wait(t, exitWait); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0", code)
	}
	var warns int
	for _, l := range p.Lines() {
		if l.Str("level") == "warn" && strings.Contains(l.Msg(), "is not below") {
			warns++
		}
	}
	if warns != 1 {
		t.Fatalf("%d timeout warnings, want 1", warns)
	}
}
