package diagnose

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// topFilesN is how many paths summary.json lists: enough to show a leak
// (state.db x238) next to the usual suspects.
const topFilesN = 20

// FileCount is one line of top_files: how many descriptors name Path.
type FileCount struct {
	Path  string `json:"path"`
	Count int    `json:"count"`
}

// fdEntry is one open descriptor: its number and what it refers to, as a
// path for files, directories and devices, or a "[kind]" label for pipes,
// sockets and the like, so that 200 leaked sockets also show as one line.
type fdEntry struct {
	FD     int
	Target string
}

// numericFD matches lsof's FD column for real descriptors ("3u", "17r",
// "251w", "4"); cwd, txt, mem and friends are mappings, not descriptors.
var numericFD = regexp.MustCompile(`^([0-9]+)[rwu-]?[rRwWuUxXN]?$`)

// parseLsof reads the FD, TYPE and NAME columns of `lsof -nP -p PID`. lsof
// right-aligns TYPE under its heading and starts NAME under its heading, so
// the heading offsets split a row even when other columns are blank or a
// name holds spaces. It returns the numeric descriptors only.
func parseLsof(out []byte) ([]fdEntry, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	typeEnd, nameCol := -1, -1
	var entries []fdEntry
	for sc.Scan() {
		line := sc.Text()
		if typeEnd < 0 {
			if strings.HasPrefix(line, "COMMAND") {
				typeEnd, nameCol = headingEnd(line, "TYPE"), strings.Index(line, "NAME")
			}
			continue
		}
		if len(line) < nameCol || typeEnd > nameCol {
			continue
		}
		fields := strings.Fields(line[:typeEnd])
		if len(fields) < 2 {
			continue
		}
		fd, kind := fields[len(fields)-2], fields[len(fields)-1]
		m := numericFD.FindStringSubmatch(fd)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		entries = append(entries, fdEntry{FD: n, Target: lsofTarget(kind, line[nameCol:])})
	}
	if err := sc.Err(); err != nil {
		return entries, fmt.Errorf("read lsof output: %w", err)
	}
	if typeEnd < 0 || nameCol < 0 {
		return nil, errors.New("lsof output has no COMMAND ... TYPE ... NAME heading")
	}
	return entries, nil
}

// headingEnd is the offset just past heading in an lsof heading line, or -1.
func headingEnd(line, heading string) int {
	i := strings.Index(line, " "+heading+" ")
	if i < 0 {
		return -1
	}
	return i + 1 + len(heading)
}

// lsofTarget keys a descriptor by path for files, directories and devices,
// and by kind otherwise (socket names carry addresses and states). Pipes
// and sockets get the labels /proc gives them, so both sources agree.
func lsofTarget(kind, name string) string {
	switch kind {
	case "REG", "DIR", "CHR", "BLK":
		return strings.TrimSpace(name)
	case "FIFO", "PIPE":
		return "[pipe]"
	case "IPv4", "IPv6", "unix", "sock":
		return "[socket]"
	}
	return "[" + kind + "]"
}

// procTarget keys a /proc/PID/fd link the same way: "socket:[123]" and
// "pipe:[456]" become "[socket]" and "[pipe]"; paths stay as they are.
func procTarget(link string) string {
	if kind, _, ok := strings.Cut(link, ":["); ok && !strings.HasPrefix(link, "/") {
		if kind == "anon_inode" {
			return link
		}
		return "[" + kind + "]"
	}
	return link
}

// topFiles counts descriptors per target and returns the n largest, by
// count descending then path.
func topFiles(entries []fdEntry, n int) []FileCount {
	counts := make(map[string]int)
	for _, e := range entries {
		counts[e.Target]++
	}
	out := make([]FileCount, 0, len(counts))
	for p, c := range counts {
		out = append(out, FileCount{Path: p, Count: c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Path < out[j].Path
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// formatFDs renders a /proc listing as fds.txt: "fd -> target" per line,
// with the raw link target (socket inode numbers included).
func formatFDs(links []fdLink) []byte {
	var b bytes.Buffer
	for _, l := range links {
		fmt.Fprintf(&b, "%d -> %s\n", l.FD, l.Link)
	}
	return b.Bytes()
}

// fdLink is one raw /proc/PID/fd entry.
type fdLink struct {
	FD   int
	Link string
}

// procEntries keys raw links for top_files.
func procEntries(links []fdLink) []fdEntry {
	out := make([]fdEntry, len(links))
	for i, l := range links {
		out[i] = fdEntry{FD: l.FD, Target: procTarget(l.Link)}
	}
	return out
}
