package proctree

import (
	"cmp"
	"slices"
)

// Proc is one process as the kernel reports it.
type Proc struct {
	Pid, PPid, Pgid, Sid int
	Start                uint64 // kernel start time, platform unit (Linux: clock ticks since boot, /proc/PID/stat field 22; macOS: microseconds since the epoch from kinfo_proc p_starttime); compare for equality only
	Comm                 string // short command name
	Zombie               bool
}

// Table is one snapshot of every process the caller can see.
type Table []Proc

// Lookup returns the process with pid, and whether the table has it.
func (t Table) Lookup(pid int) (Proc, bool) {
	// A linear scan: a table holds hundreds of processes, and a table that
	// a caller (or a test) built need not be sorted.
	for _, p := range t {
		if p.Pid == pid {
			return p, true
		}
	}
	return Proc{}, false
}

// Descendants returns every process whose parent chain reaches one of roots
// (the roots themselves excluded), each once, sorted by pid. Zombies are
// included: a zombie still pins its pid and process group.
func (t Table) Descendants(roots ...int) []Proc {
	children := make(map[int][]int, len(t))
	for _, p := range t {
		if p.PPid != p.Pid { // pid 0 on macOS is its own parent
			children[p.PPid] = append(children[p.PPid], p.Pid)
		}
	}
	seen := make(map[int]bool, len(roots))
	for _, r := range roots {
		seen[r] = true
	}
	// Breadth first over the children map; seen keeps each process once,
	// even when a root is itself a descendant of another root.
	queue := slices.Clone(roots)
	found := make(map[int]bool)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			if !seen[c] {
				seen[c] = true
				found[c] = true
				queue = append(queue, c)
			}
		}
	}
	return t.pick(func(p Proc) bool { return found[p.Pid] })
}

// Group returns the processes whose process group is pgid, sorted by pid,
// zombies included.
func (t Table) Group(pgid int) []Proc {
	return t.pick(func(p Proc) bool { return p.Pgid == pgid })
}

// pick returns the processes for which keep is true, sorted by pid, each
// pid once.
func (t Table) pick(keep func(Proc) bool) []Proc {
	var out []Proc
	for _, p := range t {
		if keep(p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Proc) int { return cmp.Compare(a.Pid, b.Pid) })
	return slices.CompactFunc(out, func(a, b Proc) bool { return a.Pid == b.Pid })
}

// Same reports whether p still runs as the same process: the pid exists,
// with the same Start, and is not a zombie. A process recorded by an
// earlier hsup is acted on only when Same holds, never by pid alone.
func Same(p Proc) bool {
	now, ok := Identify(p.Pid)
	return ok && now.Start == p.Start && !now.Zombie
}

// sortByPid sorts a table the way Snapshot returns it.
func sortByPid(t Table) {
	slices.SortFunc(t, func(a, b Proc) int { return cmp.Compare(a.Pid, b.Pid) })
}
