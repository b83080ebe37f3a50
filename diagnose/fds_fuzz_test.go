package diagnose

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// FuzzParseLsof feeds parseLsof arbitrary output: it must not panic, must
// fail exactly when no heading was seen, and must return only real
// descriptor numbers, which topFiles then summarises consistently.
func FuzzParseLsof(f *testing.F) {
	for _, seed := range []string{lsofLinux, lsofDarwin, "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\n",
		"lsof: WARNING: can't stat() fuse file system\n", "", "COMMAND TYPE NAME\n3u REG /x\n",
		"COMMAND  FD TYPE\n 3u  REG\n", "COMMAND  NAME FD TYPE\nx 3u REG\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		entries, err := parseLsof(out)
		heading := slices.ContainsFunc(strings.Split(string(out), "\n"), func(l string) bool {
			return strings.HasPrefix(l, "COMMAND") && strings.Contains(l, " TYPE ") && strings.Contains(l, "NAME")
		})
		if err == nil && !heading {
			t.Fatalf("parseLsof() = %v, nil for output without a heading", entries)
		}
		for _, e := range entries {
			if e.FD < 0 {
				t.Fatalf("entry %+v: negative descriptor", e)
			}
		}
		checkTopFiles(t, entries)
	})
}

// checkTopFiles: at most topFilesN rows, counts that add up to no more
// than the entries, sorted by count descending then path.
func checkTopFiles(t *testing.T, entries []fdEntry) {
	t.Helper()
	top := topFiles(entries, topFilesN)
	total := 0
	for i, fc := range top {
		total += fc.Count
		if fc.Count < 1 {
			t.Fatalf("top_files row %+v: count below 1", fc)
		}
		if i > 0 && (top[i-1].Count < fc.Count || top[i-1].Count == fc.Count && top[i-1].Path >= fc.Path) {
			t.Fatalf("top_files out of order at %d: %+v", i, top)
		}
	}
	if len(top) > topFilesN || total > len(entries) {
		t.Fatalf("top_files %+v from %d entries", top, len(entries))
	}
}

// FuzzLsofRoundTrip lays one descriptor out the way lsof aligns its
// columns and wants parseLsof to read back its number and target.
func FuzzLsofRoundTrip(f *testing.F) {
	f.Add(uint32(3), "u", "REG", "/srv/app/my state.db")
	f.Add(uint32(251), "w", "FIFO", "pipe")
	f.Add(uint32(7), "u", "IPv4", "TCP 127.0.0.1:8787 (LISTEN)")
	f.Add(uint32(10), "", "KQUEUE", "count=0, state=0x8")
	f.Add(uint32(0), "r", "CHR", "")
	f.Fuzz(func(t *testing.T, fd uint32, mode, kind, name string) {
		if !validLsofRow(mode, kind, name) {
			t.Skip()
		}
		out := lsofListing(strconv.FormatUint(uint64(fd), 10)+mode, kind, name)
		entries, err := parseLsof([]byte(out))
		if err != nil {
			t.Fatalf("parseLsof(%q): %v", out, err)
		}
		want := []fdEntry{{FD: int(fd), Target: lsofTarget(kind, name)}}
		if !slices.Equal(entries, want) {
			t.Fatalf("parseLsof(%q) = %+v, want %+v", out, entries, want)
		}
	})
}

// validLsofRow: what lsof can print. A mode is an access letter, kind one
// word, a name one line.
func validLsofRow(mode, kind, name string) bool {
	return (mode == "" || mode == "r" || mode == "w" || mode == "u") &&
		kind != "" && strings.IndexFunc(kind, unicode.IsSpace) < 0 &&
		!strings.ContainsAny(name, "\r\n") && len(kind) < 64 && len(name) < 4096
}

// lsofListing is an lsof -nP -p listing of one descriptor: the FD column
// right-aligned under "FD", TYPE right-aligned under "TYPE", NAME starting
// under "NAME", as lsof prints them (C's printf: widths in bytes).
func lsofListing(fd, kind, name string) string {
	fdw, tw := max(len("FD"), len(fd)), max(len("TYPE"), len(kind))
	head := "COMMAND     PID USER " + padLeft("FD", fdw) + " " + padLeft("TYPE", tw) + " DEVICE SIZE/OFF    NODE NAME\n"
	row := "python3   25683 root " + padLeft(fd, fdw) + " " + padLeft(kind, tw) + "  254,0    28672 9978001 " + name + "\n"
	return head + row
}

// padLeft right-aligns s in width bytes (fmt's %*s counts runes).
func padLeft(s string, width int) string {
	return strings.Repeat(" ", max(0, width-len(s))) + s
}
