//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestOutputAndLogFiles: with --output-file and --log-file, the child's 4
// MiB (2 on each stream) go to the output file as text records, hsup's log
// goes to the log file as JSON, the output file rotates at --log-max-size,
// and hsup's own stdout and stderr stay empty. (Pruning to --log-keep is
// tested in package output.)
func TestOutputAndLogFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outFile, logFile := filepath.Join(dir, "logs", "output.log"), filepath.Join(dir, "logs", "hsup.log")
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	errf, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	cmd, env := helperCmd(t, "outflood", "-", "2", "0", "both")
	args := append(runArgs(t, "--restart=never", "--output-file="+outFile, "--log-file="+logFile,
		"--log-max-size=1", "--log-keep=5"), cmd...)
	b := startBare(t, out, errf, args, env)
	select {
	case <-b.done:
	case <-time.After(exitWait):
		t.Fatalf("hsup did not exit within %v of a child that writes 6 MiB and exits", exitWait)
	}
	if b.code != 0 {
		t.Errorf("hsup exited %d, want the child's 0", b.code)
	}
	for _, name := range []string{"stdout", "stderr"} {
		if raw, _ := os.ReadFile(filepath.Join(dir, name)); len(raw) != 0 {
			t.Errorf("hsup wrote to its %s with both files given:\n%.2000s", name, raw)
		}
	}
	rotated, _ := filepath.Glob(filepath.Join(dir, "logs", "output-*.log"))
	if len(rotated) < 3 || len(rotated) > 5 {
		t.Errorf("rotated output files %v, want 3 to 5 (4 MiB and more in records of 1 MiB files, 5 kept)", rotated)
	}
	record := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\S+ (stdout|stderr): flood flood`)
	streams := map[string]int{}
	for _, p := range append(rotated, outFile) {
		if fi, err := os.Stat(p); err != nil || fi.Size() > 1<<20 {
			t.Errorf("%s: %v, want at most 1 MiB", p, err)
		}
		forLines(t, p, func(line string) {
			m := record.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("%s: line %.200q is not a text record of the child's output", p, line)
			}
			streams[m[1]]++
		})
	}
	if streams["stdout"] == 0 || streams["stderr"] == 0 {
		t.Errorf("records per stream %v, want both streams in the output file", streams)
	}
	var exited bool
	forLines(t, logFile, func(line string) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log file line is not JSON: %q", line)
		}
		exited = exited || m["msg"] == "child exited"
	})
	if !exited {
		t.Error(`no "child exited" record in the log file`)
	}
}

// TestOutputFileThatNeverOpens: --output-file is a FIFO nobody reads, so
// opening it blocks as on a hung volume. hsup warns on stderr after its
// 5 s bound, starts the child anyway, and the child's 4 MiB never hold it:
// its exit is logged and hsup stops on SIGTERM within bounds.
func TestOutputFileThatNeverOpens(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "output.log")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	logR, logW := pipe(t)
	_, stalled := pipe(t)
	cmd, env := helperCmd(t, "outflood", "-", "4", "3", "both")
	args := append(runArgs(t, "--output-file="+fifo, "--backoff-min=10s", "--backoff-max=10s"), cmd...)
	b := startBare(t, stalled, logW, args, env)
	lines := readLines(logR)
	var warned, exited bool
	timer := time.NewTimer(lineWait + 5*time.Second)
	defer timer.Stop()
	var log strings.Builder
	for !exited {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("hsup's stderr ended early:\n%s", log.String())
			}
			log.WriteString(l.line + "\n")
			warned = warned || strings.Contains(l.line, "--output-file: opening "+fifo)
			exited = exited || strings.Contains(l.line, `"msg":"child exited"`) && strings.Contains(l.line, `"code":3`)
		case <-timer.C:
			t.Fatalf("no \"child exited\" with code 3; stderr:\n%s", log.String())
		}
	}
	if !warned {
		t.Errorf("no warning about the output file that did not open:\n%s", log.String())
	}
	b.stopWithin(t, 5*time.Second)
}

// forLines calls f for each line of the file at path.
func forLines(t *testing.T, path string, f func(string)) {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f(sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}
