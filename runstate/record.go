package runstate

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	// recordFile is the name of the child record in a service's directory.
	recordFile = "child.json"
	// maxRecord bounds what ReadRecord reads: a record is a few KiB.
	maxRecord = 4 << 20
)

// Member is one process hsup started or knows of. Pid and Start together
// identify it: pids are reused, the kernel's start time of a pid is not.
type Member struct {
	Pid   int    `json:"pid"`
	Pgid  int    `json:"pgid"`  // its process group when recorded
	Start uint64 `json:"start"` // kernel start time, in the platform's unit (package proctree)
	Comm  string `json:"comm"`  // its command, for the log
}

// Record is what a running hsup knows of its child, for the hsup after it.
type Record struct {
	RunID   string    `json:"run_id"` // also in the child's environment as HSUP_RUN_ID
	HsupPid int       `json:"hsup_pid"`
	Group   int       `json:"pgid"` // the child's process group
	Child   Member    `json:"child"`
	Members []Member  `json:"members"` // the guard, descendants hsup knew of (inside and outside the group)
	Written time.Time `json:"written"`
}

// NewRunID returns 16 random hex characters from crypto/rand.
func NewRunID() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}

// WriteRecord replaces child.json with r, atomically: a temporary file in
// the same directory (mode 0600), fsync, rename, then a best-effort fsync
// of the directory. A reader sees the old record or the new one, never a
// part. A zero r.Written is set to now.
func (d *Dir) WriteRecord(r Record) error {
	if r.Written.IsZero() {
		r.Written = time.Now()
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode child record: %w", err)
	}
	path := filepath.Join(d.Path, recordFile)
	if err := writeAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("write child record %s: %w", path, err)
	}
	return nil
}

// writeAtomic writes data to a temporary file next to path and renames it
// over path; the temporary file is removed when anything fails.
func writeAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes a rename in dir durable, where the file system allows it;
// a failure loses durability, not the record, so it is not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// ReadRecord reads child.json. With no record the error wraps
// fs.ErrNotExist; a file that is not a record is an error naming it.
func (d *Dir) ReadRecord() (Record, error) {
	path := filepath.Join(d.Path, recordFile)
	// Non-blocking and no symlinks: a FIFO or a device planted as the
	// record must not hang hsup (or its lifeline) at the open or the read.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return Record{}, fmt.Errorf("read child record: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return Record{}, fmt.Errorf("child record %s is not a regular file; remove it", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxRecord+1))
	if err != nil {
		return Record{}, fmt.Errorf("read child record %s: %w", path, err)
	}
	if len(data) > maxRecord {
		return Record{}, fmt.Errorf("child record %s is corrupt: larger than %d bytes; remove it once no earlier child runs", path, maxRecord)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return Record{}, fmt.Errorf("child record %s is corrupt: %w; remove it once no earlier child runs", path, err)
	}
	return r, nil
}

// ClearRecord removes child.json, and temporary files a write interrupted
// by a crash left. It is not an error when there is no record.
func (d *Dir) ClearRecord() error {
	path := filepath.Join(d.Path, recordFile)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove child record: %w", err)
	}
	entries, _ := os.ReadDir(d.Path)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), recordFile+".tmp-") {
			os.Remove(filepath.Join(d.Path, e.Name()))
		}
	}
	return nil
}
