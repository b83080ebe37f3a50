package diagnose

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Reading bounds: a bundle's summary.json is well under 1 MiB (two kept
// probe bodies of 64 KiB at most); the output tail is 256 KiB.
const (
	maxSummaryRead = 4 << 20
	maxFilesListed = 256
)

// Saved is a bundle as found on disk, for `hsup bundles`: what its marker
// says, its files and, when readable, its summary.
type Saved struct {
	Dir     string // the bundle's path
	ID      string // its directory name
	Seq     uint64
	Service string
	Streak  string
	Written time.Time // when it was opened
	PID     int
	Files   []File   // its regular files, by name
	Summary *Summary // nil when summary.json is missing or unreadable (a capture cut short)
}

// File is one file of a bundle.
type File struct {
	Name string
	Size int64
}

// Size is the bytes of the bundle's files.
func (s Saved) Size() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Size
	}
	return n
}

// List returns the bundles hsup wrote in dir (directories with a valid
// marker, see scan), newest first (by when they were opened, then by
// sequence). A directory that does not exist holds no bundles; one that
// another user could tamper with is refused, as for captures.
func List(dir string) ([]Saved, error) {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	root, err := openBase(dir, false)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	found, err := scan(root)
	if err != nil {
		return nil, err
	}
	out := make([]Saved, 0, len(found))
	for _, b := range found {
		s := Saved{Dir: filepath.Join(dir, b.name), ID: b.name, Seq: b.m.Seq, Service: b.m.Service,
			Streak: b.m.Streak, Written: b.m.Written, PID: b.m.PID}
		s.Files = files(root, b.name)
		s.Summary = loadSummary(root, b.name)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Saved) int {
		return cmp.Or(b.Written.Compare(a.Written), cmp.Compare(b.Seq, a.Seq), strings.Compare(b.ID, a.ID))
	})
	return out, nil
}

// files lists the regular files of bundle dir under root (not the marker),
// at most maxFilesListed of them.
func files(root *os.Root, dir string) []File {
	d, err := root.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	entries, err := d.ReadDir(maxFilesListed)
	if err != nil && len(entries) == 0 {
		return nil
	}
	var out []File
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == markerName {
			continue
		}
		if fi, err := e.Info(); err == nil {
			out = append(out, File{Name: e.Name(), Size: fi.Size()})
		}
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func loadSummary(root *os.Root, dir string) *Summary {
	b, err := readSmall(root, filepath.Join(dir, "summary.json"), maxSummaryRead)
	if err != nil {
		return nil
	}
	var s Summary
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	return &s
}

// ReadFile reads file name of bundle s: a regular file of hsup's user, not
// a symlink, of at most limit bytes.
func ReadFile(s Saved, name string, limit int64) ([]byte, error) {
	root, err := openBase(filepath.Dir(s.Dir), false)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	b, err := readSmall(root, filepath.Join(s.ID, name), limit)
	if err != nil {
		return nil, fmt.Errorf("read %s of bundle %s: %w", name, s.ID, err)
	}
	return b, nil
}
