//go:build linux

package fdlimit

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// TestSoftLimitParsesLimits runs softLimit on fake /proc trees.
func TestSoftLimitParsesLimits(t *testing.T) {
	const header = "Limit                     Soft Limit           Hard Limit           Units     \n"
	tests := []struct {
		name    string
		text    string
		want    uint64
		wantErr bool
	}{
		{name: "numbers", text: header + "Max open files            1024                 524288               files     \n", want: 1024},
		{name: "unlimited", text: header + "Max open files            unlimited            unlimited            files     \n", want: math.MaxUint64},
		{name: "missing line", text: header + "Max processes             1                    1                    processes \n", wantErr: true},
		{name: "garbage value", text: header + "Max open files            lots                 1                    files\n", wantErr: true},
		{name: "empty", text: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := softLimit(fakeProc(t, 42, tt.text), 42)
			if (err != nil) != tt.wantErr {
				t.Fatalf("softLimit() error = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("softLimit() = %d, want %d", got, tt.want)
			}
		})
	}
	if _, err := softLimit(fakeProc(t, 42, ""), 43); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("softLimit() of a missing pid: error %v, want ErrNotExist", err)
	}
}

// fakeProc is a /proc tree holding one process, pid, with limits text.
func fakeProc(t *testing.T, pid int, limits string) procfs.FS {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, strconv.Itoa(pid))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "limits"), []byte(limits), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, err := procfs.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestCountRealChild(t *testing.T) {
	got, err := Count(startHolder(t, 300).Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if got < 3+300 || got > 3+300+inheritSlack {
		t.Fatalf("Count() = %d, want 3+300 (+ at most %d inherited)", got, inheritSlack)
	}
}

func TestSoftLimitRealChild(t *testing.T) {
	cmd := startHolder(t, 0)
	pid := cmd.Process.Pid
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Fatal(err)
	}
	set := unix.Rlimit{Cur: 321, Max: old.Max}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &set, nil); err != nil {
		t.Fatal(err)
	}
	got, err := SoftLimit(pid)
	if err != nil {
		t.Fatal(err)
	}
	if got != 321 {
		t.Fatalf("SoftLimit() = %d, want 321 (set with prlimit)", got)
	}
}

func TestCountNoProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := Count(cmd.Process.Pid); err == nil {
		t.Fatal("Count() of an exited process: want an error")
	}
	if _, err := SoftLimit(cmd.Process.Pid); err == nil {
		t.Fatal("SoftLimit() of an exited process: want an error")
	}
}

// TestCountAgreesWithLsof checks /proc against an independent reader.
func TestCountAgreesWithLsof(t *testing.T) {
	if _, err := exec.LookPath("lsof"); err != nil {
		t.Skipf("lsof not on PATH: %v", err)
	}
	pid := startHolder(t, 25).Process.Pid
	// sleep(1) may still hold a locale file from its own start-up for a
	// moment after exec, so compare once both views agree, bounded.
	var fromProc, fromLsof int
	for try := 0; try < 20; try++ {
		var err error
		if fromProc, err = Count(pid); err != nil {
			t.Fatal(err)
		}
		if fromLsof, err = countLsof(pid); err != nil {
			t.Fatal(err)
		}
		if fromProc == fromLsof {
			return
		}
	}
	t.Fatalf("Count() = %d, countLsof() = %d after 20 tries, want equal", fromProc, fromLsof)
}

// Count's stat(2) of /proc/PID/fd (Linux 6.2 and later) and SoftLimit's
// prlimit(2) agree with procfs's reading of the same files.
func TestFastPathsAgreeWithProcfs(t *testing.T) {
	pid := startHolder(t, 300).Process.Pid
	p, err := procfs.NewProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/fd", pid), &st); err != nil {
		t.Fatal(err)
	}
	t.Logf("stat size of /proc/%d/fd: %d (0 before Linux 6.2: the directory is read instead)", pid, st.Size)
	got, err := Count(pid)
	want, werr := p.FileDescriptorsLen()
	if err != nil || werr != nil || got != want {
		t.Errorf("Count() = %d, %v; procfs reads %d, %v", got, err, want, werr)
	}
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		t.Fatal(err)
	}
	soft, err := SoftLimit(pid)
	fromFile, ferr := softLimit(fs, pid)
	if err != nil || ferr != nil || soft != fromFile {
		t.Errorf("SoftLimit() = %d, %v; /proc/%d/limits reads %d, %v", soft, err, pid, fromFile, ferr)
	}
}
