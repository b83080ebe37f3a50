// Package supervise runs one program as hsup's foreground child and keeps it
// running: it starts the child in its own process group, forwards signals,
// stops the whole group, restarts with backoff, and reports the child's exit
// status when it stops for good.
//
// One goroutine (Supervisor.Run) owns the child's state. Its decisions are
// pure functions of values: next (state machine), Backoff.Delay,
// exitCode and shouldRestart; the loop only carries out what they return.
// Effects sit behind narrow interfaces the package defines itself: the
// process (start, signal, exit), the health Monitor, the Capturer that
// writes a diagnostics bundle, and a Clock. Package healthcheck and package
// diagnose provide the real monitors and capturer; cmd/hsup wires them in.
//
//	STARTING --first ok probe--> RUNNING
//	   |  degraded verdict          |
//	   +------------+---------------+
//	                v
//	            CAPTURING (bundle, bounded) --> STOPPING (signal+CONT, grace, KILL)
//	                                                |
//	  child exits by itself / stop completes ------> BACKOFF --> STARTING
//	  restart policy says no, or hsup is told to stop -> STOPPED
package supervise
