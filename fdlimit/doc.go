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
//
// For the same reason, what a child started without the shim inherits is
// hsup's start-up limit, which only a child can show: Inherited asks one.
//
// Count reads /proc/PID/fd on Linux; on macOS it calls
// proc_pidinfo(PROC_PIDLISTFDS) through gopsutil (purego, no cgo, no
// exec) and runs lsof only when that call fails. SoftLimit reads
// /proc/PID/limits; macOS has no way to read another process's limit, so
// callers judge against the one they know the child started with, and say
// so with a Source.
package fdlimit
