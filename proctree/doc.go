// Package proctree answers three questions about the processes on this
// host, for hsup's ownership of its child's whole tree:
//
//   - Who is this process, really? A pid alone is not an identity: pids are
//     reused. Proc carries the kernel's start time, and Same reports
//     whether a recorded process is still the one that runs under its pid
//     (the reclaim of an earlier hsup's orphan depends on it).
//   - What did the child start? Snapshot takes the process table once;
//     Descendants walks parent pids from the child, so it finds workers
//     that left the child's process group (setsid, daemonizing), and Group
//     lists a process group.
//   - Who listens on this TCP port? Listeners names the processes holding
//     a listening socket on a port, so a probe's answer can be attributed
//     to the child or to someone else.
//
// Linux reads /proc (github.com/prometheus/procfs): /proc/PID/stat for the
// table, /proc/net/tcp{,6} and /proc/PID/fd for listeners. macOS asks the
// kernel with sysctl (kern.proc.all, kern.proc.pid) and runs
// `lsof -nP -t -iTCP:PORT -sTCP:LISTEN` through package reaper for
// listeners. Other systems get errors.
//
// A snapshot is a moment: processes start and end while it is taken, and
// those that vanish during a scan are skipped rather than reported as
// errors. Start times are in a platform unit and are compared for equality
// only.
package proctree
