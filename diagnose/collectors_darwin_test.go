//go:build darwin

package diagnose

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// realDarwinTools is the table findTool uses in production.
var realDarwinTools = darwinTools

func init() {
	// The shared capture tests put fake tools (a hung lsof, py-spy) first
	// on PATH; on macOS the system paths would win over them.
	darwinTools = nil
}

// TestDarwinToolPaths: the system paths hsup prefers exist on this Mac.
func TestDarwinToolPaths(t *testing.T) {
	for name, p := range realDarwinTools {
		if !isExecutable(p) {
			t.Errorf("%s: %s is not an executable file on this Mac", name, p)
		}
	}
}

// TestCaptureSampleRefusedExit0: sample that refuses yet exits 0 is a
// failed threads collector carrying sample's own message.
func TestCaptureSampleRefusedExit0(t *testing.T) {
	msg := "sample cannot examine process 1 (launchd) because you do not have appropriate privileges to examine it; try running with `sudo`."
	tools := writeTool(t, "sample", "echo 'sample[1]: "+msg+"' >&2\nexit 0\n")
	t.Setenv("PATH", tools+string(os.PathListSeparator)+os.Getenv("PATH"))
	cfg, spy := testConfig(t)
	dir, err := New(cfg).Capture(context.Background(), os.Getpid(), "health", time.Time{})
	if dir == "" || err == nil {
		t.Fatalf("Capture() = %q, %v; want a partial bundle", dir, err)
	}
	s := readSummary(t, dir)
	if r := s.Collectors["threads"]; r.OK || r.Error != msg {
		t.Fatalf("threads collector = %+v, want failed with %q", r, msg)
	}
	if spy.last() != BundlePartial {
		t.Fatalf("OnBundle result %q, want partial", spy.last())
	}
}

// TestCaptureMacOS runs the real tools on a child: ps-group.txt and
// ps-threads.txt always; threads.txt from sample, or a failed collector
// saying sample refused; py_spy skipped without root; nothing left in /tmp.
func TestCaptureMacOS(t *testing.T) {
	darwinTools = realDarwinTools
	t.Cleanup(func() { darwinTools = nil })
	c, _ := holdStateDB(t, 5)
	before, _ := filepath.Glob("/tmp/*.sample.txt")
	cfg, _ := testConfig(t)
	dir, _ := New(cfg).Capture(context.Background(), c.pid, "health", c.start)
	if dir == "" {
		t.Fatal("no bundle")
	}
	s := readSummary(t, dir)
	mustExist(t, dir, "ps-group.txt", "ps-threads.txt")
	for _, n := range []string{"lsof", "ps_group", "ps_threads"} {
		if r := s.Collectors[n]; !r.OK {
			t.Errorf("collector %s: %+v", n, r)
		}
	}
	switch r := s.Collectors["threads"]; {
	case r.OK:
		mustExist(t, dir, "threads.txt")
		if s.Threads == nil || *s.Threads < 1 {
			t.Errorf("threads = %v, want counted from threads.txt", s.Threads)
		}
	case !strings.Contains(r.Error, "cannot examine process"):
		t.Errorf("threads collector failed without sample's refusal: %+v", r)
	}
	if r, ok := s.Collectors["py_spy"]; ok && os.Geteuid() != 0 && (!r.OK || r.Skipped == "") {
		t.Errorf("py_spy without root = %+v, want skipped", r)
	}
	checkModes(t, dir)
	after, _ := filepath.Glob("/tmp/*.sample.txt")
	if len(after) > len(before) {
		t.Errorf("sample left a report in /tmp: %v", after)
	}
}
