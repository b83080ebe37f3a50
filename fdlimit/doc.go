// Package fdlimit sets the RLIMIT_NOFILE a supervised child runs with and
// counts another process's open file descriptors.
//
// The child's limit is what /proc/<child>/limits shows, not what hsup
// believes it set. Go's runtime raises its own soft limit at start-up and
// restores the original one in the children it starts, unless the program
// itself calls syscall.Setrlimit(RLIMIT_NOFILE, ...). Apply therefore sets
// hsup's own soft limit with syscall.Setrlimit, which every child then
// inherits, the way systemd's LimitNOFILE or launchd's SoftResourceLimits
// would. The wanted value is clamped to the hard limit (and on macOS to
// kern.maxfilesperproc); a limit that cannot be raised is reported, never
// fatal.
package fdlimit
