//go:build unix

package runstate

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hsup/hsup/test/reexec"
)

func init() {
	reexec.Register("hold-lock", holdLockHelper)
}

// holdLockHelper takes the lock of service args[1] under state dir args[0]
// and holds it until its stdin closes.
func holdLockHelper(args ...string) int {
	d, err := Open(args[0], args[1])
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	l, err := d.Lock()
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	defer l.Close()
	return ready()
}

func lock(t *testing.T, d *Dir) *Lock {
	t.Helper()
	l, err := d.Lock()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// assertLocked checks that d.Lock fails with a *LockedError naming pid.
func assertLocked(t *testing.T, d *Dir, pid int) {
	t.Helper()
	l, err := d.Lock()
	var le *LockedError
	if !errors.As(err, &le) {
		if l != nil {
			l.Close()
		}
		t.Fatalf("Lock of a held lock = %v, want a *LockedError", err)
	}
	want := LockedError{Path: filepath.Join(d.Path, lockFile), Name: d.Name, Pid: pid}
	if *le != want {
		t.Errorf("LockedError = %+v, want %+v", *le, want)
	}
	msg := err.Error()
	if !strings.Contains(msg, "(pid "+strconv.Itoa(pid)+")") || !strings.Contains(msg, `service "webui"`) || !strings.Contains(msg, "--name") {
		t.Errorf("error %q does not name the holder, the service and the way out", msg)
	}
	assertOneLine(t, err)
}

func TestLockInOneProcess(t *testing.T) {
	d := openDir(t)
	l := lock(t, d)
	assertLocked(t, d, os.Getpid())

	data, err := os.ReadFile(filepath.Join(d.Path, lockFile))
	if err != nil || string(data) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("lock file holds %q (%v), want this pid", data, err)
	}
	flags, err := unix.FcntlInt(l.f.Fd(), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("lock descriptor flags %#x (%v), want FD_CLOEXEC", flags, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close = %v, want os.ErrClosed", err)
	}
	if err := lock(t, d).Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLockOtherServiceIsFree(t *testing.T) {
	state := t.TempDir()
	a, err := Open(state, "webui")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(state, "worker")
	if err != nil {
		t.Fatal(err)
	}
	la := lock(t, a)
	defer la.Close()
	lock(t, b).Close()
}

func TestLockHeldByAnotherProcess(t *testing.T) {
	d := openDir(t)
	cmd := reexec.Command(t, "hold-lock", filepath.Dir(d.Path), d.Name)
	startHelper(t, cmd)
	assertLocked(t, d, cmd.Process.Pid)

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if err := lock(t, d).Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLockedErrorWithoutPid(t *testing.T) {
	err := &LockedError{Path: "/s/webui/lock", Name: "webui"}
	want := `another hsup runs service "webui": lock /s/webui/lock is held; stop it, or give this one another --name`
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}
