package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Bounds of Read: the files it reads (the current one and the newest
// rotated ones) and how much of each, from its end.
const (
	maxFiles    = 8
	maxFileRead = 8 << 20
	maxTotal    = 24 << 20
	// seqTail is how much of a file's end Open reads for the last seq.
	seqTail = 64 << 10
)

// Read returns the entries of the ledger in dir (the current file and the
// rotated ones), in seq order. It reads at most the last 8 MiB of a file
// and 24 MiB in all, newest first; a line that does not parse (the torn
// last line of an hsup that died mid-write) is skipped. A directory
// without a ledger is no entries and no error.
func Read(dir string) ([]Entry, error) {
	var all []keyed
	var last int64
	err := eachLine(dir, func(line []byte) {
		var e Entry
		if json.Unmarshal(line, &e) != nil || e.Event == "" {
			return
		}
		if e.Seq != 0 {
			last = e.Seq
		}
		all = append(all, keyed{key: last, e: e})
	})
	sort.SliceStable(all, func(i, j int) bool { return all[i].key < all[j].key })
	out := make([]Entry, len(all))
	for i, k := range all {
		out[i] = k.e
	}
	return out, err
}

// keyed is an entry with the seq it sorts by: its own, or for a line
// without one (a lines_dropped notice) the seq of the line before it.
type keyed struct {
	key int64
	e   Entry
}

// ReadSummary is Summarize(Read(dir), now) within the same bounds, in
// less memory and time: the lines are summarized as they are read, in
// the files' order (oldest file first, which is seq order), and a line of
// an event the summary does not look into (healthy, degraded, stopping,
// ...) is not decoded: only its seq, time and event are read.
func ReadSummary(dir string, now time.Time) (Summary, error) {
	s := newSummarizer(now)
	err := eachLine(dir, func(line []byte) {
		e, ok := light(line)
		if !ok || summarized(e.Event) {
			e = Entry{}
			if json.Unmarshal(line, &e) != nil || e.Event == "" {
				return
			}
		}
		s.add(e)
	})
	return s.Summary, err
}

// eachLine calls fn with every line of the ledger's files in dir, oldest
// file first, within Read's bounds (the newest bytes are the ones kept).
func eachLine(dir string, fn func(line []byte)) error {
	paths, err := files(dir)
	if err != nil {
		return err
	}
	type part struct {
		path  string
		limit int
	}
	var parts []part
	total := 0
	for i := len(paths) - 1; i >= 0 && total < maxTotal; i-- { // newest first
		fi, err := os.Stat(paths[i])
		if err != nil {
			continue // rotated away meanwhile
		}
		n := int(min(fi.Size(), maxFileRead, int64(maxTotal-total)))
		total += n
		parts = append(parts, part{paths[i], n})
	}
	for i := len(parts) - 1; i >= 0; i-- { // oldest first
		b, err := readTail(parts[i].path, parts[i].limit)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		for line := range bytes.Lines(b) {
			fn(line)
		}
	}
	return nil
}

// files are the ledger's files in dir, oldest first: ledger.jsonl.N (the
// highest N is the oldest), ..., ledger.jsonl; at most maxFiles, the newest.
func files(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type rotated struct {
		n    int
		path string
	}
	var rs []rotated
	current := ""
	for _, de := range des {
		name := de.Name()
		if !de.Type().IsRegular() {
			continue
		}
		if name == FileName {
			current = filepath.Join(dir, name)
			continue
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(name, FileName+".")); err == nil && n > 0 && strings.HasPrefix(name, FileName+".") {
			rs = append(rs, rotated{n, filepath.Join(dir, name)})
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].n > rs[j].n })
	var out []string
	for _, r := range rs {
		out = append(out, r.path)
	}
	if current != "" {
		out = append(out, current)
	}
	if len(out) > maxFiles {
		out = out[len(out)-maxFiles:]
	}
	return out, nil
}

// readTail reads the last limit bytes of path (into a buffer of exactly
// that size); when that is not the whole file, the partial first line is
// dropped.
func readTail(path string, limit int) ([]byte, error) {
	// Only a regular file: the open of a FIFO would wait for a writer, a
	// device could be read forever. Checked before and after the open.
	if fi, err := os.Lstat(path); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	off := max(fi.Size()-int64(limit), 0)
	b := make([]byte, fi.Size()-off)
	n, err := f.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	b = b[:n]
	if off > 0 {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		} else {
			b = nil
		}
	}
	return b, nil
}

// tail is what Open needs of the lines already written.
type tail struct {
	seq  int64 // the highest seq found
	open bool  // the current file does not end with a newline
}

// lastSeq finds the highest seq at the end of the current file and of the
// newest rotated one (the current file may have just been rotated).
func lastSeq(dir string) (tail, error) {
	var t tail
	for i, name := range []string{FileName, FileName + ".1"} {
		b, err := readTail(filepath.Join(dir, name), seqTail)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return t, err
		}
		if i == 0 && len(b) > 0 && b[len(b)-1] != '\n' {
			t.open = true
		}
		for line := range bytes.Lines(b) {
			e, ok := light(line)
			if !ok && json.Unmarshal(line, &e) != nil {
				continue
			}
			t.seq = max(t.seq, e.Seq)
		}
	}
	return t, nil
}

// light reads a line's seq, ts and event without decoding it: Append
// writes them first and plain (no escapes in a number, a time stamp or an
// event name). ok is false for a line that is not whole (no closing brace)
// or not of that shape; such a line is decoded in full, or skipped.
func light(line []byte) (Entry, bool) {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) == 0 || line[len(line)-1] != '}' {
		return Entry{}, false
	}
	var e Entry
	if rest, ok := bytes.CutPrefix(line, []byte(`{"seq":`)); ok {
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		e.Seq, _ = strconv.ParseInt(string(rest[:n]), 10, 64)
	}
	e.TS, e.Event = plain(line, `"ts":"`), plain(line, `"event":"`)
	return e, e.TS != "" && e.Event != ""
}

// plain is the string after the first key (`"key":"`) in line, up to its
// closing quote; "" when absent or escaped.
func plain(line []byte, key string) string {
	i := bytes.Index(line, []byte(key))
	if i < 0 {
		return ""
	}
	v := line[i+len(key):]
	j := bytes.IndexByte(v, '"')
	if j < 0 || bytes.IndexByte(v[:j], '\\') >= 0 {
		return ""
	}
	return string(v[:j])
}
