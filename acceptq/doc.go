// Package acceptq watches the child's listening socket from the kernel's
// side: how many connections completed the handshake and wait to be
// accepted (the accept queue), against the most the kernel queues (the
// backlog).
//
// An app that stops accepting (frozen, its accept loop deadlocked, or out
// of descriptors so that every accept fails with EMFILE) leaves every new
// connection in that queue, which then never drains. An idle app has an
// empty queue; a busy app that is alive keeps draining it. The kernel
// sees the wedge as soon as the first connection waits, long before a
// probe budget runs out.
//
// The package has three parts:
//
//   - Find and Listener.Sample, the effects: find the child's listening
//     socket on a port (held by the child or one of its descendants: the
//     socket's inode is among their descriptors) and read its queue. Linux
//     asks NETLINK_SOCK_DIAG (what `ss -l` shows) when the child shares
//     hsup's network namespace: a lookup of the one socket on the port (or
//     a dump of the listening sockets when there are several) for the
//     queue's length and the backlog, and, while connections wait, a dump
//     of the queued connections with their tcp_info: which ones wait, and
//     how long the oldest has (Sample.Oldest). A child in a namespace of
//     its own is read from /proc/PID/net/tcp and tcp6 of the process that
//     holds the socket (through github.com/prometheus/procfs): for a
//     socket in LISTEN state rx_queue is the accept queue's length, and
//     the backlog is unknown. macOS runs `netstat -L -a -n -W -p tcp`
//     (qlen/incqlen/maxqlen per listening address; the parser is pure and
//     tested on Linux) after lsof has shown that only the child listens on
//     the port. Other systems get errors.
//   - The stall rule, pure: Window follows the samples, and Stalled says
//     whether the queue has been non-empty, without a sign that the child
//     accepts (the queue drained to zero, or shrank between two samples,
//     or a connection that waited is gone), and without an answered
//     probe, for a given time, counted from when the oldest waiting
//     connection came in where the kernel tells. Interval is the sampling
//     cadence: slow while the queue is empty, fast once it is not; Due is
//     when a stall would be due, so the watcher samples then.
//   - Demand, pure: when connections were waiting or were accepted, so that
//     the heartbeat rule can tell an idle app (nothing came in) from a
//     stale counter (things came in and the counter did not move).
package acceptq
