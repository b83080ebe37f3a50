package runstate

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/reexec"
)

func init() {
	reexec.Register("wait-stdin", waitStdinHelper)
	reexec.Register("ignore-term", ignoreTermHelper)
}

// waitStdinHelper blocks until its stdin closes; SIGTERM ends it.
func waitStdinHelper(...string) int { return ready() }

// ignoreTermHelper ignores SIGTERM and blocks until its stdin closes.
func ignoreTermHelper(...string) int {
	signal.Ignore(syscall.SIGTERM)
	return ready()
}

// procStat is what the tests read of /proc/PID/stat.
type procStat struct {
	state byte   // field 3
	pgid  int    // field 5
	start uint64 // field 22, starttime in clock ticks since boot
	comm  string // field 2
}

func readStat(pid int) (procStat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	s := string(data)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open || end+2 > len(s) {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	f := strings.Fields(s[end+2:]) // f[0] is field 3
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	pgid, err1 := strconv.Atoi(f[2])
	start, err2 := strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	return procStat{state: f[0][0], pgid: pgid, start: start, comm: s[open+1 : end]}, nil
}

// sameLinux is the identity check of the tests: pid alive, not a zombie,
// with the recorded start time.
func sameLinux(m Member) bool {
	st, err := readStat(m.Pid)
	return err == nil && st.state != 'Z' && st.state != 'X' && st.start == m.Start
}

// member records the running process pid as hsup would.
func member(t *testing.T, pid int) Member {
	t.Helper()
	st, err := readStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	return Member{Pid: pid, Pgid: st.pgid, Start: st.start, Comm: st.comm}
}

// groupHelper starts helper name in process group pgid (0: a new group led
// by the helper).
func groupHelper(t *testing.T, name string, pgid int) *exec.Cmd {
	t.Helper()
	cmd := reexec.Command(t, name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: pgid}
	startHelper(t, cmd)
	return cmd
}

// exitSignal reaps cmd, which must have ended already, and returns the
// signal that ended it.
func exitSignal(t *testing.T, cmd *exec.Cmd) syscall.Signal {
	t.Helper()
	if st, err := readStat(cmd.Process.Pid); err == nil && st.state != 'Z' {
		t.Fatalf("pid %d still runs (state %c)", cmd.Process.Pid, st.state)
	}
	cmd.Wait()
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() {
		t.Fatalf("pid %d: %v, want death by a signal", cmd.Process.Pid, cmd.ProcessState)
	}
	return ws.Signal()
}

func TestSameLinux(t *testing.T) {
	self := member(t, os.Getpid())
	if !sameLinux(self) {
		t.Fatalf("sameLinux(%+v) = false for this process", self)
	}
	other := self
	other.Start++
	if sameLinux(other) {
		t.Errorf("sameLinux with another start time = true")
	}
}

func TestOrphansOfRealProcesses(t *testing.T) {
	child := groupHelper(t, "wait-stdin", 0)
	gone := groupHelper(t, "wait-stdin", 0)
	reused := member(t, groupHelper(t, "wait-stdin", 0).Process.Pid)
	reused.Start++
	goneMember := member(t, gone.Process.Pid)
	gone.Process.Kill()
	gone.Wait()

	r := Record{Child: member(t, child.Process.Pid), Members: []Member{goneMember, reused}}
	orphans, stale := Orphans(r, sameLinux)
	if len(orphans) != 1 || orphans[0] != r.Child {
		t.Errorf("orphans = %v, want only the live child %v", orphans, r.Child)
	}
	if len(stale) != 2 || stale[0] != goneMember || stale[1] != reused {
		t.Errorf("stale = %v, want %v and %v", stale, goneMember, reused)
	}
}

// TestReclaimRealGroup: a group whose leader exits on SIGTERM, a member
// that ignores it, and a member nobody recorded. Reclaim stops the first
// on the stop signal and SIGKILLs the second after the grace; the group
// signal reaches the third.
func TestReclaimRealGroup(t *testing.T) {
	term := groupHelper(t, "wait-stdin", 0)
	pgid := term.Process.Pid
	stubborn := groupHelper(t, "ignore-term", pgid)
	unrecorded := groupHelper(t, "wait-stdin", pgid)
	orphans := []Member{member(t, term.Process.Pid), member(t, stubborn.Process.Pid)}
	if orphans[1].Pgid != pgid {
		t.Fatalf("helper in group %d, want %d", orphans[1].Pgid, pgid)
	}

	const grace = 500 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	rep := Reclaim(ctx, orphans, syscall.SIGTERM, grace, sameLinux)

	if len(rep.Stopped) != 1 || rep.Stopped[0] != orphans[0] {
		t.Errorf("Stopped = %v, want %v", rep.Stopped, orphans[0])
	}
	if len(rep.Killed) != 1 || rep.Killed[0] != orphans[1] || len(rep.Left) != 0 || len(rep.Skipped) != 0 {
		t.Errorf("Killed = %v, Left = %v, Skipped = %v; want Killed %v only", rep.Killed, rep.Left, rep.Skipped, orphans[1])
	}
	if rep.Took < grace || rep.Took > grace+time.Second {
		t.Errorf("Took = %v, want between the grace %v and a second more", rep.Took, grace)
	}
	for _, c := range []struct {
		cmd  *exec.Cmd
		want syscall.Signal
	}{{term, syscall.SIGTERM}, {stubborn, syscall.SIGKILL}, {unrecorded, syscall.SIGTERM}} {
		if got := exitSignal(t, c.cmd); got != c.want {
			t.Errorf("pid %d ended by %v, want %v", c.cmd.Process.Pid, got, c.want)
		}
	}
}

// TestReclaimSparesReusedPid: a recorded process whose start time does not
// match is another process; Reclaim signals neither it nor its group.
func TestReclaimSparesReusedPid(t *testing.T) {
	cmd := groupHelper(t, "wait-stdin", 0)
	m := member(t, cmd.Process.Pid)
	m.Start++

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	rep := Reclaim(ctx, []Member{m}, syscall.SIGTERM, 5*time.Second, sameLinux)

	if len(rep.Skipped) != 1 || len(rep.Stopped)+len(rep.Killed) != 0 {
		t.Errorf("report %+v, want the member skipped", rep)
	}
	if rep.Took > time.Second {
		t.Errorf("Took = %v, want no wait for a process it did not signal", rep.Took)
	}
	if st, err := readStat(cmd.Process.Pid); err != nil || st.state == 'Z' {
		t.Fatalf("helper %d is gone (%v, state %c), want it untouched", cmd.Process.Pid, err, st.state)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("helper ended with %v, want our SIGKILL (it was signalled before)", cmd.ProcessState)
	}
}
