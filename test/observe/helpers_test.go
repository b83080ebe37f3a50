package observe

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
)

// Bounds of the waits below: generous because the machine is shared.
const (
	startWait   = 20 * time.Second // hsup up and the child healthy
	restartWait = 20 * time.Second // a wedge noticed, captured, restarted
)

// demo is a running `hsup demo` with short intervals.
type demo struct {
	p       *hsuptest.Proc
	app     string // http://127.0.0.1:PORT of the demo app
	metrics string // http://127.0.0.1:PORT of hsup's /metrics and /healthz
	diag    string // --diag-dir
}

// demoFlags are the fast settings every demo test starts from; a test
// overrides or adds flags by name (value "" drops the flag).
func demoFlags(t *testing.T, appPort, metricsPort int, diag string) map[string]string {
	return map[string]string{
		"port": fmt.Sprint(appPort), "metrics-addr": fmt.Sprintf("127.0.0.1:%d", metricsPort),
		"log-format": "json", "diag-dir": diag, "health-interval": "200ms", "health-timeout": "500ms",
		"health-failures": "2", "stop-grace": "2s", "backoff-min": "100ms", "backoff-max": "500ms",
		"startup-grace": "15s",
	}
}

// startDemo runs `hsup demo` and waits for its first "child running".
func startDemo(t *testing.T, override map[string]string, env ...string) *demo {
	t.Helper()
	appPort, metricsPort := hsuptest.FreePort(t), hsuptest.FreePort(t)
	d := &demo{
		app: fmt.Sprintf("http://127.0.0.1:%d", appPort), metrics: fmt.Sprintf("http://127.0.0.1:%d", metricsPort),
		diag: filepath.Join(t.TempDir(), "diag"),
	}
	flags := demoFlags(t, appPort, metricsPort, d.diag)
	for k, v := range override {
		flags[k] = v
	}
	if v, ok := override["diag-dir"]; ok {
		d.diag = v
	}
	args := []string{"demo"}
	names := make([]string, 0, len(flags))
	for k := range flags {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if flags[k] != "" {
			args = append(args, "--"+k+"="+flags[k])
		}
	}
	d.p = hsuptest.Start(t, args, env...)
	d.p.WaitLine(t, 0, startWait, "first child running", hsuptest.State("running"))
	return d
}

// flip POSTs a demo switch such as "noaccept" or "leak?n=300".
func (d *demo) flip(t *testing.T, sw string) {
	t.Helper()
	if code, body := hsuptest.Post(t, d.app+"/demo/"+sw); code != 200 {
		t.Fatalf("POST /demo/%s: %d %s", sw, code, body)
	}
}

// stateDB is the demo app's state file, from the intro hsup demo prints.
func (d *demo) stateDB(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`\(state in (\S+)\)`).FindStringSubmatch(d.p.Stdout())
	if m == nil {
		t.Fatalf("no state directory in hsup demo's intro:\n%s", d.p.Stdout())
	}
	return filepath.Join(m[1], "state.db")
}

// msg matches a log line by its message and, when given, field values.
func msg(m string, fields ...string) func(hsuptest.Line) bool {
	return func(l hsuptest.Line) bool {
		if l.Msg() != m {
			return false
		}
		for i := 0; i+1 < len(fields); i += 2 {
			if l.Str(fields[i]) != fields[i+1] {
				return false
			}
		}
		return true
	}
}

func isBundleLine(l hsuptest.Line) bool { return strings.HasPrefix(l.Msg(), "diagnostics bundle ") }

// count counts lines from index from that match.
func count(lines []hsuptest.Line, from int, match func(hsuptest.Line) bool) int {
	n := 0
	for _, l := range lines[from:] {
		if match(l) {
			n++
		}
	}
	return n
}

// ts is a log line's time stamp (zap's ISO 8601).
func ts(t *testing.T, l hsuptest.Line) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, l.Str("ts"))
	if err != nil {
		t.Fatalf("log line without a time stamp: %v: %v", l, err)
	}
	return at
}

// summary is the part of summary.json the tests read.
type summary struct {
	Reason   string `json:"reason"`
	PID      int    `json:"pid"`
	FDSource string `json:"fd_source"`
	OpenFDs  *int   `json:"open_fds"`
	TopFiles []struct {
		Path  string `json:"path"`
		Count int    `json:"count"`
	} `json:"top_files"`
	Collectors map[string]struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	} `json:"collectors"`
}

func readSummary(t *testing.T, bundle string) summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bundle, "summary.json"))
	if err != nil {
		t.Fatalf("bundle %s: %v", bundle, err)
	}
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("bundle %s: summary.json: %v\n%s", bundle, err, b)
	}
	return s
}

// topCount is the count top_files gives path, 0 if absent.
func (s summary) topCount(path string) int {
	for _, f := range s.TopFiles {
		if f.Path == path {
			return f.Count
		}
	}
	return 0
}

// bundles lists the bundle directories in dir, sorted by name (= time).
func bundles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("list %s: %v", dir, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func mustExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("want %s: %v", path, err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}
