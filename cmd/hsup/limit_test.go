//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/hsup/hsup/fdlimit"
)

// shimGuard makes a copy of this test binary run hsup's command line from
// its arguments (run, as main does) instead of the tests: the shim execs,
// which the test process itself must not do.
const shimGuard = "HSUP_TEST_RUN_CLI"

func init() {
	if os.Getenv(shimGuard) == "1" {
		os.Exit(run(append([]string{"hsup"}, os.Args[1:]...), os.Stdout, os.Stderr))
	}
}

// runShim runs `hsup _nofile-exec --nofile=N -- path argv...` in a copy of
// the test binary and returns its pid, exit code, stdout and stderr.
func runShim(t *testing.T, n uint64, path string, argv ...string) (int, int, string, string) {
	t.Helper()
	args := append([]string{nofileExecName, "--nofile=" + strconv.FormatUint(n, 10), "--", path}, argv...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), shimGuard+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run the shim: %v", err)
	}
	return cmd.Process.Pid, code, stdout.String(), stderr.String()
}

// TestNofileExecShim: the shim gives the program exactly --nofile, keeps
// its pid and argv[0], and fails as a first start does.
func TestNofileExecShim(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Max < 512 {
		t.Skipf("hard limit %d too low", lim.Max)
	}
	pid, code, out, errOut := runShim(t, 200, "/bin/sh", "renamed-sh", "-c", `ulimit -n; echo "$$ $0"`)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if want := "200\n" + strconv.Itoa(pid) + " renamed-sh\n"; out != want {
		t.Fatalf("program printed %q, want %q (limit, same pid, argv[0])", out, want)
	}

	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	noFormat := filepath.Join(dir, "noformat")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noFormat, []byte{0x7f, 'E', 'L', 'F', 0, 0, 0}, 0o755); err != nil {
		t.Fatal(err)
	}
	failures := []struct {
		name, path string
		code       int
		says       string
	}{
		{name: "gone", path: filepath.Join(dir, "gone"), code: 127, says: "not found"},
		{name: "not executable", path: plain, code: 126, says: "cannot be executed"},
		{name: "a directory", path: dir, code: 126, says: "is a directory: give the path of the program file"},
		{name: "no executable format", path: noFormat, code: 126, says: "cannot be executed"},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			_, code, out, errOut := runShim(t, 200, f.path, "prog")
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if code != f.code || len(lines) != 1 || !strings.Contains(errOut, f.says) || !strings.Contains(errOut, f.path) || out != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit %d and one line naming %s that says %q", code, errOut, out, f.code, f.path, f.says)
			}
		})
	}
}

func TestNofileArgs(t *testing.T) {
	self, err := shimExecutable()
	if err != nil {
		t.Skipf("no executable of our own: %v", err)
	}
	argv := []string{"python3", "-m", "webui"}
	tests := []struct {
		name     string
		limit    uint64
		wantPath string
		wantArgs []string
	}{
		{name: "no limit: the program itself", limit: 0, wantPath: "/usr/bin/python3", wantArgs: argv},
		{name: "a limit: the shim", limit: 256, wantPath: self,
			wantArgs: []string{self, "_nofile-exec", "--nofile=256", "--", "/usr/bin/python3", "python3", "-m", "webui"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := nofilePlan{shim: tt.limit, watch: 4096, source: fdlimit.SourceSet}
			path, args := nofilePath("/usr/bin/python3", lim), nofileArgs("/usr/bin/python3", argv, lim)
			if path != tt.wantPath || !slices.Equal(args, tt.wantArgs) {
				t.Fatalf("got %q %q, want %q %q", path, args, tt.wantPath, tt.wantArgs)
			}
		})
	}
}

// TestPlanNofile: what the shim sets, and which limit FD pressure is
// judged against where the child's own cannot be read, with its source.
func TestPlanNofile(t *testing.T) {
	raised := fdlimit.Own{Before: 1048575, Soft: 1048575, Hard: 1048576}       // the Go runtime raised it
	setByHsup := fdlimit.Own{Before: 256, Soft: 24576, Hard: 24576, Set: true} // RaiseOwn had to
	planned := fdlimit.Target{Want: 4096, Soft: 4096, Hard: 1048576, Reason: "as requested"}
	clamped := fdlimit.Target{Want: 65536, Soft: 24576, Hard: 1 << 62, Cap: 24576}
	inherit := nofilePlan{source: fdlimit.SourceInherited} // watch: for fdlimit.Inherited to tell
	tests := []struct {
		name    string
		want    uint64
		own     fdlimit.Own
		shimOK  bool
		target  fdlimit.Target
		planned bool
		plan    nofilePlan
	}{
		{name: "--nofile: the shim sets it", want: 4096, own: raised, shimOK: true, target: planned, planned: true,
			plan: nofilePlan{shim: 4096, watch: 4096, source: fdlimit.SourceSet}},
		{name: "--nofile clamped: the clamped limit", want: 65536, own: raised, shimOK: true, target: clamped, planned: true,
			plan: nofilePlan{shim: 24576, watch: 24576, source: fdlimit.SourceSet}},
		{name: "--nofile=0: inherited, no shim", want: 0, own: raised, shimOK: true, plan: inherit},
		{name: "--nofile=0 after hsup's setrlimit: the shim restores the start-up limit", want: 0, own: setByHsup, shimOK: true,
			plan: nofilePlan{shim: 256, watch: 256, source: fdlimit.SourceInherited}},
		{name: "--nofile not planned: inherited", want: 4096, own: raised, shimOK: true, plan: inherit},
		{name: "--nofile planned to nothing: inherited", want: 4096, own: raised, shimOK: true, planned: true, plan: inherit},
		{name: "no executable for the shim: inherited", want: 4096, own: raised, target: planned, planned: true, plan: inherit},
		{name: "--nofile=0, hsup's setrlimit, no shim: inherited", want: 0, own: setByHsup, plan: inherit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := planNofile(tt.want, tt.own, tt.shimOK, tt.target, tt.planned)
			if got != tt.plan {
				t.Fatalf("planNofile() = %+v, want %+v", got, tt.plan)
			}
			if got.direct() != (tt.plan.shim == 0) {
				t.Fatalf("direct() = %v for shim %d", got.direct(), got.shim)
			}
		})
	}
}

// TestApplyNofileWatch: with --nofile the watcher judges against what the
// shim sets; with --nofile=0 against what a child of hsup really inherits,
// never 0 (before, the watcher then judged nothing).
func TestApplyNofileWatch(t *testing.T) {
	if _, err := shimExecutable(); err != nil {
		t.Skipf("no executable of our own: %v", err)
	}
	out, err := exec.Command("/bin/sh", "-c", "ulimit -n").Output()
	if err != nil {
		t.Fatal(err)
	}
	log := zaptest.NewLogger(t)
	if p := applyNofile(200, log); p != (nofilePlan{shim: 200, watch: 200, source: fdlimit.SourceSet}) {
		t.Fatalf("applyNofile(200) = %+v, want the shim's 200, set by hsup", p)
	}
	p := applyNofile(0, log)
	if strings.TrimSpace(string(out)) == "unlimited" || p.shim != 0 {
		t.Skipf("no finite limit to compare (ulimit -n %q), or hsup had to set its own (%+v)", out, p)
	}
	if got := strconv.FormatUint(p.watch, 10); got != strings.TrimSpace(string(out)) || p.source != fdlimit.SourceInherited {
		t.Fatalf("applyNofile(0) = %+v, want watch %s (what a child inherits), inherited", p, out)
	}
}

func TestExecFailure(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
	}{
		{name: "not found", err: syscall.ENOENT, code: 127},
		{name: "not a directory on the way", err: syscall.ENOTDIR, code: 127},
		{name: "no permission", err: syscall.EACCES, code: 126},
		{name: "bad format", err: syscall.ENOEXEC, code: 126},
		{name: "a directory", err: syscall.EISDIR, code: 126},
		{name: "out of memory", err: syscall.ENOMEM, code: exitTempFail},
		{name: "out of descriptors", err: syscall.EMFILE, code: exitTempFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, msg := execFailure("/opt/app", tt.err); code != tt.code || !strings.Contains(msg, "/opt/app") {
				t.Fatalf("execFailure(%v) = %d %q, want %d naming the program", tt.err, code, msg, tt.code)
			}
		})
	}
}

// The FD-pressure watch does not take the shim's limit for the child's:
// the shim is told by its argv, as /proc/PID/cmdline has it.
func TestIsShim(t *testing.T) {
	z := func(args ...string) []byte { return []byte(strings.Join(args, "\x00") + "\x00") }
	for _, c := range []struct {
		cmdline []byte
		want    bool
	}{
		{z("/usr/local/bin/hsup", nofileExecName, "--nofile=4096", "--", "/usr/bin/python3", "python3", "server.py"), true},
		{z("python3", "server.py"), false},
		{z("/usr/local/bin/hsup", "demo-app", "--addr", "127.0.0.1:8787"), false}, // the program may be hsup's own binary
		{z("/usr/local/bin/hsup"), false},
		{nil, false}, // a zombie's cmdline is empty
	} {
		if got := isShim(c.cmdline); got != c.want {
			t.Errorf("isShim(%q) = %v, want %v", c.cmdline, got, c.want)
		}
	}
}
