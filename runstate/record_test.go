package runstate

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func openDir(t *testing.T) *Dir {
	t.Helper()
	d, err := Open(t.TempDir(), "webui")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func sampleRecord() Record {
	return Record{
		RunID:   "0123456789abcdef",
		HsupPid: 41,
		Group:   42,
		Child:   Member{Pid: 42, Pgid: 42, Start: 123456, Comm: "python3"},
		Members: []Member{
			{Pid: 43, Pgid: 42, Start: 123460, Comm: "hsup"},
			{Pid: 50, Pgid: 50, Start: 123999, Comm: "worker"},
		},
		Written: time.Date(2025, 3, 1, 12, 0, 0, 5, time.UTC),
	}
}

func TestRecordRoundTrip(t *testing.T) {
	d := openDir(t)
	want := sampleRecord()
	if err := d.WriteRecord(want); err != nil {
		t.Fatal(err)
	}
	got, err := d.ReadRecord()
	if err != nil {
		t.Fatal(err)
	}
	if !got.Written.Equal(want.Written) {
		t.Errorf("Written = %v, want %v", got.Written, want.Written)
	}
	got.Written, want.Written = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadRecord = %+v, want %+v", got, want)
	}
}

func TestWriteRecordIsAtomicAndPrivate(t *testing.T) {
	d := openDir(t)
	first := sampleRecord()
	second := sampleRecord()
	second.RunID = "fedcba9876543210"
	second.Written = time.Time{}
	for _, r := range []Record{first, second} {
		if err := d.WriteRecord(r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := d.ReadRecord()
	if err != nil {
		t.Fatal(err)
	}
	if got.RunID != second.RunID {
		t.Errorf("RunID = %q after the second write, want %q", got.RunID, second.RunID)
	}
	if got.Written.IsZero() || time.Since(got.Written) > time.Minute {
		t.Errorf("Written = %v, want now for a zero Written", got.Written)
	}
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != recordFile {
		t.Errorf("directory holds %v, want only %s (no temporary files)", names(entries), recordFile)
	}
	fi, err := os.Stat(filepath.Join(d.Path, recordFile))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("record mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestReadRecordNone(t *testing.T) {
	_, err := openDir(t).ReadRecord()
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadRecord with no record = %v, want fs.ErrNotExist", err)
	}
}

func TestReadRecordCorrupt(t *testing.T) {
	for _, content := range []string{"not json", `{"run_id": "x", "child": {"pid": 4`, `{"child": {"pid": "four"}}`, ""} {
		t.Run(content, func(t *testing.T) {
			d := openDir(t)
			path := filepath.Join(d.Path, recordFile)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := d.ReadRecord()
			if err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "corrupt") {
				t.Fatalf("ReadRecord of %q = %v, want a corrupt-record error naming %s", content, err, path)
			}
			assertOneLine(t, err)
		})
	}
}

func TestClearRecord(t *testing.T) {
	d := openDir(t)
	if err := d.ClearRecord(); err != nil {
		t.Fatalf("ClearRecord with no record: %v", err)
	}
	if err := d.WriteRecord(sampleRecord()); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(d.Path, recordFile+".tmp-123")
	if err := os.WriteFile(leftover, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.ClearRecord(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ReadRecord(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadRecord after ClearRecord = %v, want fs.ErrNotExist", err)
	}
	if entries, _ := os.ReadDir(d.Path); len(entries) != 0 {
		t.Errorf("directory holds %v after ClearRecord, want nothing", names(entries))
	}
}

func TestNewRunID(t *testing.T) {
	a, b := NewRunID(), NewRunID()
	for _, id := range []string{a, b} {
		if _, err := hex.DecodeString(id); len(id) != 16 || err != nil {
			t.Errorf("NewRunID = %q, want 16 hex characters", id)
		}
	}
	if a == b {
		t.Errorf("two NewRunID calls both gave %q", a)
	}
}

func names(entries []os.DirEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestReadRecordRefusesAFIFO: a FIFO planted as child.json must not hang
// hsup (or its lifeline) in the open or the read.
func TestReadRecordRefusesAFIFO(t *testing.T) {
	d, err := Open(t.TempDir(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(d.Path, "child.json"), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := d.ReadRecord(); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("ReadRecord on a FIFO = %v, want a refusal", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadRecord blocked on a FIFO")
	}
}

func TestOrphansNeverHsupItself(t *testing.T) {
	self := Member{Pid: os.Getpid(), Start: 7}
	parent := Member{Pid: os.Getppid(), Start: 9}
	orphans, stale := Orphans(Record{Child: self, Members: []Member{parent}}, func(Member) bool { return true })
	if len(orphans) != 0 || len(stale) != 2 {
		t.Fatalf("orphans %v stale %v: hsup and its parent must be stale, never orphans", orphans, stale)
	}
}
