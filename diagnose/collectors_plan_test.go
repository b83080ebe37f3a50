package diagnose

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// tools is a find function over a fixed set of tool names.
func tools(names ...string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if slices.Contains(names, name) {
			return "/x/" + name, true
		}
		return "", false
	}
}

func TestPlanTools(t *testing.T) {
	pySkip := "py-spy needs root on macOS (hsup runs as uid 501); use --dump-signal with Python's faulthandler for Python stacks"
	all := []string{"lsof", "py-spy", "sample", "ps"}
	tests := []struct {
		name  string
		goos  string
		euid  int
		tools []string
		want  []toolPlan
	}{
		{name: "linux all", goos: "linux", euid: 1000, tools: all, want: []toolPlan{
			{name: "lsof", path: "/x/lsof"}, {name: "py_spy", path: "/x/py-spy"},
		}},
		{name: "linux none", goos: "linux", euid: 0, tools: nil, want: nil},
		{name: "linux py-spy only", goos: "linux", euid: 1000, tools: []string{"py-spy"}, want: []toolPlan{
			{name: "py_spy", path: "/x/py-spy"},
		}},
		{name: "darwin user", goos: "darwin", euid: 501, tools: all, want: []toolPlan{
			{name: "lsof", path: "/x/lsof"}, {name: "py_spy", path: "/x/py-spy", skip: pySkip},
			{name: "threads", path: "/x/sample"}, {name: "ps_group", path: "/x/ps"}, {name: "ps_threads", path: "/x/ps"},
		}},
		{name: "darwin root", goos: "darwin", euid: 0, tools: all, want: []toolPlan{
			{name: "lsof", path: "/x/lsof"}, {name: "py_spy", path: "/x/py-spy"},
			{name: "threads", path: "/x/sample"}, {name: "ps_group", path: "/x/ps"}, {name: "ps_threads", path: "/x/ps"},
		}},
		{name: "darwin user without py-spy", goos: "darwin", euid: 501, tools: []string{"lsof", "sample", "ps"}, want: []toolPlan{
			{name: "lsof", path: "/x/lsof"},
			{name: "threads", path: "/x/sample"}, {name: "ps_group", path: "/x/ps"}, {name: "ps_threads", path: "/x/ps"},
		}},
		{name: "darwin without sample", goos: "darwin", euid: 0, tools: []string{"ps"}, want: []toolPlan{
			{name: "ps_group", path: "/x/ps"}, {name: "ps_threads", path: "/x/ps"},
		}},
		{name: "freebsd", goos: "freebsd", euid: 1001, tools: all, want: []toolPlan{
			{name: "lsof", path: "/x/lsof"}, {name: "py_spy", path: "/x/py-spy"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := planTools(tt.goos, tt.euid, tools(tt.tools...))
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("planTools(%s, %d, %v)\n got %+v\nwant %+v", tt.goos, tt.euid, tt.tools, got, tt.want)
			}
		})
	}
}

// Every collector name planTools can plan for macOS has a runner there;
// on other platforms the portable ones are handled in collectors().
func TestPlanToolsNamesKnown(t *testing.T) {
	for _, p := range planTools("darwin", 0, tools("lsof", "py-spy", "sample", "ps")) {
		switch p.name {
		case "lsof", "py_spy", "threads", "ps_group", "ps_threads":
		default:
			t.Errorf("planned collector %q has no runner", p.name)
		}
	}
}

func TestFindTool(t *testing.T) {
	system := func(paths ...string) func(string) bool {
		return func(p string) bool { return slices.Contains(paths, p) }
	}
	onPath := func(names ...string) func(string) (string, error) {
		return func(n string) (string, error) {
			if slices.Contains(names, n) {
				return "/opt/shims/" + n, nil
			}
			return "", exec.ErrNotFound
		}
	}
	tests := []struct {
		name   string
		goos   string
		tool   string
		exec   func(string) bool
		path   func(string) (string, error)
		want   string
		wantOK bool
	}{
		{name: "darwin system lsof before PATH", goos: "darwin", tool: "lsof", exec: system("/usr/sbin/lsof"), path: onPath("lsof"), want: "/usr/sbin/lsof", wantOK: true},
		{name: "darwin lsof with PATH lacking /usr/sbin", goos: "darwin", tool: "lsof", exec: system("/usr/sbin/lsof"), path: onPath(), want: "/usr/sbin/lsof", wantOK: true},
		{name: "darwin sample", goos: "darwin", tool: "sample", exec: system("/usr/bin/sample"), path: onPath(), want: "/usr/bin/sample", wantOK: true},
		{name: "darwin ps", goos: "darwin", tool: "ps", exec: system("/bin/ps"), path: onPath(), want: "/bin/ps", wantOK: true},
		{name: "darwin no system ps falls back to PATH", goos: "darwin", tool: "ps", exec: system(), path: onPath("ps"), want: "/opt/shims/ps", wantOK: true},
		{name: "darwin py-spy only on PATH", goos: "darwin", tool: "py-spy", exec: system("/usr/sbin/lsof"), path: onPath("py-spy"), want: "/opt/shims/py-spy", wantOK: true},
		{name: "darwin missing", goos: "darwin", tool: "sample", exec: system(), path: onPath(), wantOK: false},
		{name: "linux ignores macOS paths", goos: "linux", tool: "lsof", exec: system("/usr/sbin/lsof"), path: onPath("lsof"), want: "/opt/shims/lsof", wantOK: true},
		{name: "linux missing", goos: "linux", tool: "lsof", exec: system("/usr/sbin/lsof"), path: onPath(), wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := findTool(tt.goos, tt.tool, tt.exec, tt.path)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("findTool = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestIsExecutable(t *testing.T) {
	dir := t.TempDir()
	x, plain := filepath.Join(dir, "x"), filepath.Join(dir, "plain")
	if err := os.WriteFile(x, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{x: true, plain: false, dir: false, filepath.Join(dir, "none"): false} {
		if got := isExecutable(p); got != want {
			t.Errorf("isExecutable(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestResultSkipped(t *testing.T) {
	r := result(time.Now(), skipped("py-spy needs root on macOS"))
	if !r.OK || r.Skipped != "py-spy needs root on macOS" || r.Error != "" {
		t.Fatalf("result = %+v, want ok and skipped with the reason", r)
	}
	if r := result(time.Now(), errors.New("boom")); r.OK || r.Skipped != "" || r.Error != "boom" {
		t.Fatalf("result = %+v, want failed", r)
	}
	// A skipped collector is no failure of the bundle.
	if status, errs := outcome(map[string]Result{"py_spy": r0(skipped("x"))}); status != BundleOK || errs != nil {
		t.Fatalf("outcome = %s, %v; want ok", status, errs)
	}
}

func r0(err error) Result { return result(time.Now(), err) }

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "macos", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSampleRefusal(t *testing.T) {
	refused := readTestdata(t, "sample-refused-stderr.txt")
	wantMsg := "sample cannot examine process 4321 (python3.11) because you do not have appropriate privileges to examine it; try running with `sudo`."
	tests := []struct {
		name           string
		stdout, stderr []byte
		want           string
	}{
		{name: "refused on stderr", stderr: refused, want: wantMsg},
		{name: "refused on stdout", stdout: refused, want: wantMsg},
		{name: "without the program prefix", stderr: []byte("  " + wantMsg + "\n"), want: wantMsg},
		{name: "other reason", stderr: []byte("sample cannot examine process 99 for unknown reasons, even though it appears to exist; try running with `sudo`.\n"),
			want: "sample cannot examine process 99 for unknown reasons, even though it appears to exist; try running with `sudo`."},
		{name: "success", stdout: readTestdata(t, "sample-ok-stdout.txt"), want: ""},
		{name: "report is not a refusal", stdout: readTestdata(t, "sample-report.txt"), want: ""},
		{name: "nothing", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sampleRefusal(tt.stdout, tt.stderr); got != tt.want {
				t.Fatalf("sampleRefusal = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCountSampleThreads(t *testing.T) {
	if n := countSampleThreads(readTestdata(t, "sample-report.txt")); n != 3 {
		t.Fatalf("countSampleThreads = %d, want 3", n)
	}
	if n := countSampleThreads(readTestdata(t, "sample-ok-stdout.txt")); n != 0 {
		t.Fatalf("countSampleThreads(progress lines) = %d, want 0", n)
	}
}

func TestSampleArgs(t *testing.T) {
	got := sampleArgs(4321, "/b/threads.txt")
	want := []string{"4321", "1", "-mayDie", "-file", "/b/threads.txt"}
	if !slices.Equal(got, want) {
		t.Fatalf("sampleArgs = %q, want %q", got, want)
	}
	if got, want := psThreadsArgs(4321), []string{"-M", "-p", "4321"}; !slices.Equal(got, want) {
		t.Fatalf("psThreadsArgs = %q, want %q", got, want)
	}
}

func TestFilterGroup(t *testing.T) {
	all := readTestdata(t, "ps-all.txt")
	got, err := filterGroup(all, 4300)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "PGID") {
		t.Fatalf("filterGroup kept %d lines, want the header and 3:\n%s", len(lines), got)
	}
	for _, pid := range []string{"4300", "4301", "4302"} {
		if !strings.Contains(string(got), "\n "+pid+" ") {
			t.Errorf("group lacks pid %s:\n%s", pid, got)
		}
	}
	if strings.Contains(string(got), "43000") || strings.Contains(string(got), "hsup run") {
		t.Errorf("group holds processes of other groups:\n%s", got)
	}
	if _, err := filterGroup(all, 777); err == nil {
		t.Error("filterGroup of an absent group: no error")
	}
	if _, err := filterGroup([]byte("ps: illegal option\n"), 4300); err == nil {
		t.Error("filterGroup without a header: no error")
	}
	if _, err := filterGroup(nil, 4300); err == nil {
		t.Error("filterGroup of nothing: no error")
	}
}
