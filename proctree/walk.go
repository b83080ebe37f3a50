package proctree

// Walk returns the tree below roots (the roots excluded), each process
// once, sorted by pid: what Snapshot().Descendants(roots...) returns, but
// on Linux it reads only the tree (/proc/PID/task/*/children and one stat
// file a process), so a periodic scan costs what the child's tree costs,
// not what the whole machine runs. Processes that end during the walk are
// left out.
func Walk(roots ...int) (Table, error) { return walk(roots) }
