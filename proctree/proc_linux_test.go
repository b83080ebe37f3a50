package proctree

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hsup/hsup/test/reexec"
)

// TestSameAcrossDeath follows one process from running through zombie to
// reaped: Same holds only while it runs, and never for a wrong Start.
func TestSameAcrossDeath(t *testing.T) {
	cmd := helperCmd(t, "block")
	cmd.Stderr = os.Stderr
	if _, err := cmd.StdinPipe(); err != nil { // EOF for the helper when the test ends
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	p, ok := Identify(pid)
	if !ok || p.Pid != pid || p.PPid != os.Getpid() || p.Zombie || p.Start == 0 {
		t.Fatalf("Identify(%d) = %+v, %v; want the running helper", pid, p, ok)
	}
	if !Same(p) {
		t.Fatalf("Same(%+v) = false for the running helper", p)
	}
	wrong := p
	wrong.Start++
	if Same(wrong) {
		t.Fatalf("Same(%+v) = true with a wrong start time", wrong)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExitedUnreaped(t, pid)
	if z, ok := Identify(pid); !ok || !z.Zombie || z.Start != p.Start {
		t.Fatalf("Identify(%d) after SIGKILL = %+v, %v; want the same process as a zombie", pid, z, ok)
	}
	if Same(p) {
		t.Fatal("Same() = true for a zombie")
	}

	_ = cmd.Wait() // reap
	if Same(p) {
		t.Fatal("Same() = true after the process was reaped")
	}
	if q, ok := Identify(pid); ok && q.Start == p.Start {
		t.Fatalf("Identify(%d) after reaping = %+v, still the same process", pid, q)
	}
}

// waitExitedUnreaped waits, up to waitBound, until child pid has exited,
// leaving it a zombie (waitid with WNOWAIT).
func waitExitedUnreaped(t *testing.T, pid int) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		var info unix.Siginfo
		done <- unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
	}()
	timer := time.NewTimer(waitBound)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("waitid(%d): %v", pid, err)
		}
	case <-timer.C:
		t.Fatalf("pid %d did not exit within %s of SIGKILL", pid, waitBound)
	}
}

func TestAppendInts(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
	}{
		{"", nil},
		{"12 345 6\n", []int{12, 345, 6}},
		{"7", []int{7}},
		{"  8  9 ", []int{8, 9}},
	} {
		if got := appendInts(nil, []byte(c.in)); !slices.Equal(got, c.want) {
			t.Errorf("appendInts(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// readInto grows its buffer for a file longer than it, and reuses it.
func TestReadIntoGrows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	want := bytes.Repeat([]byte("12345 "), 3000) // 18000 bytes, past the 4 KiB buffer
	if err := os.WriteFile(path, want, 0o600); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 0, 16)
	got, err := readInto(path, &b)
	if err != nil || !bytes.Equal(got, want) || cap(b) < len(want) {
		t.Fatalf("read %d bytes (%v), buffer cap %d; want %d", len(got), err, cap(b), len(want))
	}
	if _, err := readInto(filepath.Join(t.TempDir(), "missing"), &b); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

func init() { reexec.Register("adopter", adopterHelper) }

// adopterHelper becomes a child subreaper and, from threads other than
// its main one (one kept alive, one that exits), runs shells that leave a
// sleep behind as an orphan; the orphans are re-parented to it, and
// Reparented must list them all. It kills and reaps them; exit 0 when
// Reparented listed them, 1 when not, 3 on setup failure.
func adopterHelper(...string) int {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "adopter:", err)
		return 3
	}
	var orphans []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, keep := range []bool{true, false} {
		wg.Go(func() {
			runtime.LockOSThread() // fork from a thread of its own
			if keep {
				defer runtime.UnlockOSThread()
			} // else the thread ends with the goroutine
			out, err := exec.Command("sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!").Output()
			pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
			if err == nil && pid > 0 {
				mu.Lock()
				orphans = append(orphans, pid)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	defer func() {
		for _, pid := range orphans {
			_ = unix.Kill(pid, unix.SIGKILL)
			var ws unix.WaitStatus
			_, _ = unix.Wait4(pid, &ws, 0, nil)
		}
	}()
	if len(orphans) != 2 {
		fmt.Fprintln(os.Stderr, "adopter: orphans", orphans)
		return 3
	}
	kids, err := Reparented(os.Getpid())
	for _, pid := range orphans {
		if err != nil || !slices.Contains(kids, pid) {
			fmt.Fprintf(os.Stderr, "adopter: Reparented = %v, %v; orphans %v\n", kids, err, orphans)
			return 1
		}
	}
	return 0
}

// Orphans re-parented to a child subreaper are listed under its main
// thread, whichever thread forked their parent: what Reparented reads.
func TestReparentedListsOrphans(t *testing.T) {
	cmd := helperCmd(t, "adopter")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("adopter: %v\n%s", err, out)
	}
}
