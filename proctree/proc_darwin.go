package proctree

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// sZomb is SZOMB of <sys/proc.h>, p_stat of a zombie; x/sys/unix does not
// define it.
const sZomb = 5

// Snapshot lists every process with one sysctl (kern.proc.all), sorted by
// pid. Sid is 0: kinfo_proc carries only a kernel pointer to the session
// (e_sess), and a getsid call per process would cost a syscall each for a
// field the macOS paths do not use (they walk parent pids).
func Snapshot() (Table, error) {
	kps, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return nil, fmt.Errorf("list processes: sysctl kern.proc.all: %w", err)
	}
	t := make(Table, 0, len(kps))
	for i := range kps {
		t = append(t, fromKinfo(&kps[i]))
	}
	sortByPid(t)
	return t, nil
}

// Identify reads one process with sysctl kern.proc.pid; ok is false when
// pid does not exist. Sid is 0, as in Snapshot.
func Identify(pid int) (Proc, bool) {
	if pid <= 0 {
		return Proc{}, false
	}
	// For a pid that does not exist the kernel returns no record, which
	// x/sys reports as an error (EIO for the short read).
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil || int(kp.Proc.P_pid) != pid {
		return Proc{}, false
	}
	return fromKinfo(kp), true
}

// fromKinfo converts one kinfo_proc. The start time becomes microseconds
// since the epoch, a single number to compare.
func fromKinfo(kp *unix.KinfoProc) Proc {
	start := kp.Proc.P_starttime
	return Proc{
		Pid:    int(kp.Proc.P_pid),
		PPid:   int(kp.Eproc.Ppid),
		Pgid:   int(kp.Eproc.Pgid),
		Start:  uint64(start.Sec)*1_000_000 + uint64(start.Usec),
		Comm:   unix.ByteSliceToString(kp.Proc.P_comm[:]),
		Zombie: kp.Proc.P_stat == sZomb,
	}
}

// Listeners returns the pids that lsof finds with a TCP socket in LISTEN
// state on port (any local address, IPv4 and IPv6), sorted, without
// duplicates.
//
// On macOS lsof run by a user other than root lists only that user's
// processes, and nothing cheap tells whether another user listens. So
// unseen is true when hsup is not root and lsof found no listener: the
// port may be held by a process hsup cannot see (or by nobody). When lsof
// found a listener, another user's listener on the same port would need a
// different local address, and is not reported.
func Listeners(ctx context.Context, port int) (pids []int, unseen bool, err error) {
	pids, err = lsofListeners(ctx, port)
	if err != nil {
		return nil, false, err
	}
	return pids, len(pids) == 0 && os.Geteuid() != 0, nil
}
