//go:build !linux

package proctree

// Children lists pid's children, from a snapshot of every process: the
// platform has no per-process list of children.
func Children(pid int) ([]int, error) {
	t, err := Snapshot()
	if err != nil {
		return nil, err
	}
	var kids []int
	for _, p := range t {
		if p.PPid == pid && p.Pid != pid {
			kids = append(kids, p.Pid)
		}
	}
	return kids, nil
}

// Reparented lists pid's children: the platform files re-parented
// processes under the process, not a thread.
func Reparented(pid int) ([]int, error) { return Children(pid) }

func walk(roots []int) (Table, error) {
	t, err := Snapshot()
	if err != nil {
		return nil, err
	}
	return t.Descendants(roots...), nil
}
