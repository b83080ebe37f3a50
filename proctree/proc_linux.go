package proctree

import (
	"fmt"
	"sync"

	"github.com/prometheus/procfs"
)

// procFS is /proc, opened once: NewDefaultFS only checks the mount point,
// and every call would check it again.
var procFS = sync.OnceValues(func() (procfs.FS, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return procfs.FS{}, fmt.Errorf("open /proc: %w", err)
	}
	return fs, nil
})

// Snapshot reads /proc/PID/stat of every process, sorted by pid. A process
// that ends between the listing of /proc and the read of its stat file is
// left out.
func Snapshot() (Table, error) {
	fs, err := procFS()
	if err != nil {
		return nil, err
	}
	procs, err := fs.AllProcs()
	if err != nil {
		return nil, fmt.Errorf("list processes in /proc: %w", err)
	}
	t := make(Table, 0, len(procs))
	for _, p := range procs {
		// The only failure of a stat read in practice is the process's
		// exit since the listing (ENOENT, ESRCH, or an empty read that
		// fails to parse); procfs does not tell them apart reliably.
		if st, err := p.Stat(); err == nil {
			t = append(t, fromStat(st))
		}
	}
	sortByPid(t)
	return t, nil
}

// Identify reads /proc/PID/stat; ok is false when pid does not exist (or
// /proc cannot be read).
func Identify(pid int) (Proc, bool) {
	if pid <= 0 {
		return Proc{}, false
	}
	fs, err := procFS()
	if err != nil {
		return Proc{}, false
	}
	p, err := fs.Proc(pid)
	if err != nil {
		return Proc{}, false
	}
	st, err := p.Stat()
	if err != nil {
		return Proc{}, false
	}
	return fromStat(st), true
}

// fromStat converts procfs's view of /proc/PID/stat. "Z" is a zombie and
// "X" a process being torn down: neither runs any more.
func fromStat(st procfs.ProcStat) Proc {
	return Proc{
		Pid:    st.PID,
		PPid:   st.PPID,
		Pgid:   st.PGRP,
		Sid:    st.Session,
		Start:  st.Starttime,
		Comm:   st.Comm,
		Zombie: st.State == "Z" || st.State == "X",
	}
}
