package output

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A File past its size is renamed aside and a new one opened under its
// name: every line kept is in exactly one file, in order, the last one
// last, no file outgrows the limit, and only Keep rotated files stay.
func TestFileRotatesByRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "output.log") // the directory is created
	f := NewFile(path, FileOptions{MaxMiB: 1, Keep: 2})
	if err := f.Open(); err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 1000)
	const lines = 2500 // about 2.4 MiB: two rotations
	w := f.Paced()
	for i := range lines {
		fmt.Fprintf(w, "%05d %s\n", i, line)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.Dropped(); n != 0 {
		t.Fatalf("dropped %d bytes of paced writes to a local file", n)
	}
	// The rotator removes old files on its own goroutine after a rotation:
	// wait for it, within a bound.
	var rotated []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		rotated, _ = filepath.Glob(filepath.Join(dir, "logs", "output-*.log"))
		if len(rotated) == 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(rotated) != 2 {
		t.Fatalf("rotated files %v, want 2", rotated)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("current file: %v, mode %v; want mode 0600", err, fi.Mode())
	}
	var got []string
	for _, p := range append(rotated, path) { // rotated names sort by time
		if fi, _ := os.Stat(p); fi.Size() > 1<<20 {
			t.Errorf("%s is %d bytes, over the 1 MiB limit", p, fi.Size())
		}
		got = append(got, readLines(t, p)...)
	}
	if len(got) == 0 || got[len(got)-1] != fmt.Sprintf("%05d %s", lines-1, line) {
		t.Fatalf("the last line written is not the last line of the current file")
	}
	for i := 1; i < len(got); i++ {
		if got[i][:5] <= got[i-1][:5] {
			t.Fatalf("line %q follows %q: lines lost or reordered across a rotation", got[i][:5], got[i-1][:5])
		}
	}
	if len(got) < lines/2 {
		t.Errorf("%d of %d lines kept in 3 files of up to 1 MiB, want most", len(got), lines)
	}
}

// The writer's file is renamed, not copied: the inode the writer held when
// the rotation came is the rotated file's.
func TestFileRotationKeepsTheInode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hsup.log")
	f := NewFile(path, FileOptions{MaxMiB: 1, Keep: 5})
	if err := f.Open(); err != nil {
		t.Fatal(err)
	}
	before := inode(t, path)
	w := f.Paced()
	chunk := bytes.Repeat([]byte("y"), 64<<10-1)
	chunk = append(chunk, '\n')
	for range 17 { // 17 × 64 KiB: past 1 MiB once
		w.Write(chunk)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rotated, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "hsup-*.log"))
	if len(rotated) != 1 {
		t.Fatalf("rotated %v, want one file", rotated)
	}
	if got := inode(t, rotated[0]); got != before {
		t.Errorf("rotated file has inode %d, the writer's file was %d: copied, not renamed", got, before)
	}
	if fi, _ := os.Stat(rotated[0]); fi.Size() != 16*64<<10 {
		t.Errorf("rotated file holds %d bytes, want the 16 chunks that fit", fi.Size())
	}
}

// A path that cannot be written is an error from Open, naming the path.
func TestFileOpenError(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := NewFile(filepath.Join(blocker, "out.log"), FileOptions{})
	err := f.Open()
	if err == nil || !strings.Contains(err.Error(), blocker) {
		t.Fatalf("Open under a regular file: %v, want an error naming the path", err)
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
