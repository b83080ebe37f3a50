package fdlimit

// Source says where the soft RLIMIT_NOFILE that a child's descriptors are
// judged against came from: the FD-pressure watcher logs it and bundles
// write it to summary.json as nofile_source. Only Linux shows another
// process's limit; elsewhere hsup judges against the limit it knows the
// child started with.
type Source string

// The sources of a limit.
const (
	// SourceChild is the child's own limit, read from /proc/PID/limits:
	// what the kernel applies, whatever hsup planned.
	SourceChild Source = "child"
	// SourceSet is the soft limit hsup's _nofile-exec shim set for the
	// child from --nofile (clamped).
	SourceSet Source = "set_by_hsup"
	// SourceInherited is the soft limit the child inherited from hsup with
	// --nofile=0, or when the shim could not be used: the limit hsup was
	// started with (see Inherited).
	SourceInherited Source = "inherited"
)
