package diagnose

import (
	"bufio"
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Pure helpers for the macOS collectors (proc_darwin.go), here without a
// build constraint so that Linux tests feed them recorded macOS output.

// sampleThread matches a thread's heading in `sample` output's call graph.
var sampleThread = regexp.MustCompile(`(?m)^\s+[0-9]+\s+Thread_[0-9]+`)

// countSampleThreads counts the threads in a sample report.
func countSampleThreads(report []byte) int { return len(sampleThread.FindAll(report, -1)) }

// psGroupArgs is the ps command line of the ps_group collector: every
// process, with the columns the issue asks for; ps-group.txt keeps the
// header and the child's process group. -ww: never cut the command line.
var psGroupArgs = []string{"-A", "-ww", "-o", "pid,ppid,pgid,stat,rss,vsz,etime,command"}

// psThreadsArgs is the ps command line of the ps_threads collector.
func psThreadsArgs(pid int) []string { return []string{"-M", "-p", strconv.Itoa(pid)} }

// sampleArgs is sample's command line: one second, symbols read at once
// in case the process dies (-mayDie), the report written to file rather
// than to stdout plus a copy left in /tmp.
func sampleArgs(pid int, file string) []string {
	return []string{strconv.Itoa(pid), "1", "-mayDie", "-file", file}
}

// sampleRefusal returns sample's own line when it refused to examine the
// process ("sample cannot examine process 123 (name) because you do not
// have appropriate privileges ..."), else "". It looks at stdout and
// stderr, whatever the exit status, and keeps the message as sample wrote
// it, less a leading "sample[PID]: ".
func sampleRefusal(stdout, stderr []byte) string {
	for _, out := range [][]byte{stderr, stdout} {
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(make([]byte, 0, 4096), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			i := strings.Index(line, "cannot examine process")
			if i < 0 {
				continue
			}
			if j := strings.Index(line, "sample cannot examine"); j >= 0 {
				line = line[j:]
			}
			return line
		}
	}
	return ""
}

// filterGroup keeps ps output's header and the lines whose pgid column
// (the third, as in psGroupArgs) is pgid. It parses nothing else.
func filterGroup(out []byte, pgid int) ([]byte, error) {
	want := strconv.Itoa(pgid)
	var b bytes.Buffer
	lines := bytes.SplitAfter(out, []byte("\n"))
	if len(lines) == 0 || !bytes.Contains(lines[0], []byte("PGID")) {
		return nil, errors.New("ps printed no header with PGID")
	}
	b.Write(lines[0])
	n := 0
	for _, l := range lines[1:] {
		if f := bytes.Fields(l); len(f) >= 3 && string(f[2]) == want {
			b.Write(l)
			n++
		}
	}
	if n == 0 {
		return b.Bytes(), errors.New("ps listed no process in group " + want)
	}
	return b.Bytes(), nil
}
