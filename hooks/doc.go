// Package hooks runs an operator's programs when something happens to the
// supervised child (`hsup run --on-event PROGRAM`): a degraded verdict, a
// restart, a recovery, a crash loop, giving up.
//
// A Tracker turns the supervisor's events into hook events (which fire,
// and with what cause, bundle and exit status); it only computes, on the
// supervisor's loop. A Runner runs each program for each event: no
// shell, the Event as one JSON object on stdin, HSUP_EVENT, HSUP_NAME,
// HSUP_REASON and HSUP_BUNDLE in its environment beside hsup's own
// (without the sd_notify variables). It never blocks or delays recovery:
// Enqueue only queues (each program its own queue of Options.Queue events,
// dropped and counted past that) and each program's own goroutine runs
// its events in order, each run in a process group of its own, bounded by
// Options.Timeout, then the group is SIGKILLed. Its output is kept up to
// OutputCap for the log line of a failed run. When hsup exits, what is
// queued or running gets Options.ExitWait, then is killed.
//
// The JSON a hook reads (fields absent when not known):
//
//	{"event":"degraded","name":"web","reason":"health",
//	 "sentence":"3 cheap probes in a row failed: ...","pid":4242,
//	 "bundle":"/home/me/.local/state/hsup/diagnostics/web/20250102T030405.678Z-pid4242-health",
//	 "restarts":2,
//	 "time":"2025-01-02T03:04:05.678Z"}
//
// event is one of degraded, restarted, recovered, crash_loop, gave_up;
// code (the last child's exit status) appears for restarted, crash_loop
// and gave_up once a child has exited. See Event for each field.
package hooks
