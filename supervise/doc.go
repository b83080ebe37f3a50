// Package supervise runs one program as hsup's foreground child and keeps it
// running: it starts the child in its own process group, forwards signals,
// stops the whole group, restarts with backoff, and reports the child's exit
// status when it stops for good.
//
// One goroutine (Supervisor.Run) owns the child and every decision about
// it. next, a pure function of (state, event, facts), is the whole state
// machine: start failures, warning captures and capture bounds are events
// of it like any other. The backoff step (BackoffPolicy.Next), exitCode
// and shouldRestart are the other decisions; the loop only carries out
// what they return. Nothing the loop does blocks on the world: the
// start (exec) runs in a goroutine (evLaunched/evStartFailed),
// captures run in a goroutine bounded by the loop's own timer, and
// observers get typed Events that they must not block on.
//
// Effects sit behind narrow interfaces the package defines itself: the
// process (start, signal, exit), the Monitors that report facts and
// verdicts, and the Capturer that writes a diagnostics bundle. cmd/hsup
// adapts package healthcheck's and package diagnose's implementations.
//
// The loop publishes one read-only Status after every event (Status());
// /healthz, the metrics and sd_notify read it or subscribe to the Events,
// and keep no copy of their own.
//
//	BACKOFF --timer: start--> (launching) --launched--> STARTING --first ok probe--> RUNNING
//	   ^                           | start failed                |  degraded verdict  |
//	   |                           v                             +---------+----------+
//	   +------- restart <----- policy                                      v
//	   |                                                   CAPTURING (bundle, bounded by the timer)
//	   |                                                                   v
//	   +---- child exits / stop completes <------------ STOPPING (signal+CONT, grace, KILL)
//	  restart policy says no, or hsup is told to stop -> STOPPED
//
// A warning (FD pressure) captures a bundle without leaving RUNNING; a
// degraded verdict during it waits for it, so one child never has two
// captures at once.
package supervise
