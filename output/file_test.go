package output

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// closeFile closes f within a bound, failing the test on error.
func closeFile(t *testing.T, f *File) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// A File past its size is renamed to NAME.1 (older ones shifted up, the
// one past Keep removed) and a new one created under its name: every line
// kept is in exactly one file, in order, the last one last, no file
// outgrows the limit, and only Keep rotated files stay.
func TestFileRotatesByRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "output.log") // the directory is created
	f := NewFile(path, FileOptions{MaxMiB: 1, Keep: 2})
	if err := f.Open(); err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 1000)
	const lines = 3500 // about 3.4 MiB: three rotations
	w := f.Paced()
	for i := range lines {
		fmt.Fprintf(w, "%05d %s\n", i, line)
	}
	closeFile(t, f)
	if n := f.Dropped(); n != 0 {
		t.Fatalf("dropped %d bytes of paced writes to a local file", n)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 3 {
		t.Fatalf("files %v, want output.log, .1 and .2", entries)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("current file: %v, mode %v; want mode 0600", err, fi.Mode())
	}
	var got []string
	for _, p := range []string{path + ".2", path + ".1", path} {
		if fi, err := os.Stat(p); err != nil || fi.Size() > 1<<20 {
			t.Fatalf("%s: %v, want at most 1 MiB", p, err)
		}
		got = append(got, readLines(t, p)...)
	}
	if len(got) == 0 || got[len(got)-1] != fmt.Sprintf("%05d %s", lines-1, line) {
		t.Fatalf("the last line written is not the last line of the current file")
	}
	for i := 1; i < len(got); i++ {
		if mustAtoi(t, got[i][:5]) != mustAtoi(t, got[i-1][:5])+1 {
			t.Fatalf("line %q follows %q: lines lost or reordered across a rotation", got[i][:5], got[i-1][:5])
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The writer's file is renamed, not copied: the inode the writer held when
// the rotation came is NAME.1's.
func TestFileRotationKeepsTheInode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hsup.log")
	f := NewFile(path, FileOptions{MaxMiB: 1, Keep: 5})
	if err := f.Open(); err != nil {
		t.Fatal(err)
	}
	before := inode(t, path)
	w := f.Paced()
	chunk := append(bytes.Repeat([]byte("y"), 64<<10-1), '\n')
	for range 17 { // 17 × 64 KiB: past 1 MiB once
		w.Write(chunk)
	}
	closeFile(t, f)
	if got := inode(t, path+".1"); got != before {
		t.Errorf("NAME.1 has inode %d, the writer's file was %d: copied, not renamed", got, before)
	}
	// The Writer hands the file what waits in one write (up to its 256
	// KiB buffer), whole writes only: a file ends at a write's end, at
	// most one buffer short of the limit.
	if fi, _ := os.Stat(path + ".1"); fi.Size()%(64<<10) != 0 || fi.Size() > 1<<20 || fi.Size() < 1<<20-DefaultSize {
		t.Errorf("NAME.1 holds %d bytes, want whole chunks, within a buffer of 1 MiB", fi.Size())
	}
}

// What is at the path must be a regular file or nothing: a device (the
// adversary's /dev/null, which a rotation would have renamed away), a
// directory, a FIFO or a symlink is refused by Open and left alone, and a
// file hsup may not write is refused without being renamed.
func TestFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "adir")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.log")
	if err := os.Symlink(filepath.Join(dir, "real.log"), link); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/dev/null", sub, fifo, link, filepath.Join(blocker, "out.log")} {
		before, _ := os.Lstat(p)
		err := NewFile(p, FileOptions{}).Open()
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Open(%s) = %v, want an error naming the path", p, err)
		}
		if after, _ := os.Lstat(p); before != nil && (after == nil || !os.SameFile(before, after)) {
			t.Errorf("%s was moved or replaced", p)
		}
	}
	if err := NewFile(sub, FileOptions{}).Open(); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a directory: %v, want ErrNotRegular", err)
	}
}

// A file renamed away by someone else (newsyslog, a person) is followed
// by a new one at the path: later writes land there, not in the renamed
// file.
func TestFileReopensAfterAnOutsideRename(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	r := &rotator{path: path, max: 1 << 20, keep: 2}
	if _, err := r.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	r.checked = time.Time{} // as if a second had passed
	if _, err := r.Write([]byte("two\n")); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if got := readLines(t, path); len(got) != 1 || got[0] != "two" {
		t.Errorf("new file holds %q, want the write after the rename", got)
	}
	if got := readLines(t, path+".old"); len(got) != 1 || got[0] != "one" {
		t.Errorf("renamed file holds %q", got)
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(fi.Sys().(*syscall.Stat_t).Ino)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
