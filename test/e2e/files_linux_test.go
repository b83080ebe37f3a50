//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hsup/hsup/test/hsuptest"
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
	rotated, _ := filepath.Glob(filepath.Join(dir, "logs", "output.log.*"))
	slices.Reverse(rotated) // oldest first: output.log.4 ... output.log.1
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

// TestOutputFileRefusals: a directory, a device or a FIFO given as a file is bad
// input (exit 2, one line) and is left where it was; a program that
// cannot be found is reported in --log-file too, not only on stderr.
func TestOutputFileRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sub := filepath.Join(dir, "adir")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{sub, "/dev/null", fifo} {
		p := hsuptest.Start(t, runArgs(t, "--output-file="+path, "--", "/bin/true"))
		code := p.Wait(t, exitWait)
		lines := strings.Split(strings.TrimSpace(p.RawStderr()), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], "--output-file") || !strings.Contains(lines[0], "not a regular file") {
			t.Errorf("--output-file=%s: exit %d, stderr %q; want 2 and one line", path, code, p.RawStderr())
		}
	}
	if fi, err := os.Stat(sub); err != nil || !fi.IsDir() {
		t.Errorf("the directory given as --output-file was moved: %v", err)
	}
	if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v", err)
	}
	logFile := filepath.Join(dir, "hsup.log")
	p := hsuptest.Start(t, runArgs(t, "--log-file="+logFile, "--", "/no/such/program"))
	if code := p.Wait(t, exitWait); code != 127 {
		t.Fatalf("exit %d, want 127", code)
	}
	var logged bool
	forLines(t, logFile, func(line string) { logged = logged || strings.Contains(line, "/no/such/program") })
	if !logged {
		t.Error("the failed start is not in --log-file")
	}
}
