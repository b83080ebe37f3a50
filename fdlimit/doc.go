// Package fdlimit sets RLIMIT_NOFILE, hsup's own and its child's, and
// counts another process's open file descriptors.
//
// The child's limit is what /proc/<child>/limits shows, not what hsup
// believes it set. Go's runtime raises its own soft limit at start-up and
// restores the original one in the children it starts (and across
// syscall.Exec), unless the program itself calls
// syscall.Setrlimit(RLIMIT_NOFILE, ...). hsup therefore keeps two budgets
// apart: RaiseOwn gives hsup its hard limit (normally the runtime already
// has, and the start-up limit is still what a child inherits), and the
// child gets its own limit from a shim that calls Apply on itself and then
// execs the program, as chpst does. The wanted value is clamped to the
// hard limit (and on macOS to kern.maxfilesperproc); a limit that cannot
// be raised is reported, never fatal.
package fdlimit
