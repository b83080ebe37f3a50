// Package ledger keeps a service's durable record of what happened to its
// child and why: an append-only JSON Lines file, <state dir>/<name>/ledger.jsonl,
// one line per event that matters, that outlives hsup and the machine's
// restarts and links each restart to its diagnostics bundle.
//
//	{"seq":41,"ts":"2026-05-01T10:00:00.000Z","event":"degraded","name":"webui","pid":4242,
//	 "reason":"health","sentence":"3 cheap probes in a row failed (timeout)","failures":3,
//	 "probes":[{"kind":"cheap","at":"...","result":"timeout","latency_ms":2000.4}],
//	 "first_failure_ms":10412,"budget_ms":17000}
//	{"seq":42,"ts":"...","event":"bundle_written","name":"webui","pid":4242,"reason":"health",
//	 "restart":true,"path":"/.../20260501T100000Z-pid4242-health","took_ms":1830}
//
// Every line has seq (monotonic across restarts of hsup: Open continues from
// the last seq in the files), ts (RFC 3339, milliseconds, UTC), event and
// name; the other fields belong to the event (see Entry). A value that is
// not known is left out, never written as zero (no 0001-01-01 times).
//
// Writing never blocks its caller: Append formats the line and hands it to
// an output.File, a bounded writer whose own goroutine writes and rotates
// the file by size (MaxMiB, Keep rotated files beside the current one:
// ledger.jsonl.1, ledger.jsonl.2). What a full or hung volume cannot take
// is dropped, counted, and reported once in hsup's log. Observe is the
// supervisor's event observer: it runs on the supervisor's loop and only
// formats and queues.
//
// Read reads the current and rotated files (bounded in size), tolerating a
// torn last line, and returns the entries in seq order; Summarize is the
// pure summary `hsup status` shows: restarts in the last hour, day and
// week with their reasons, the last restart's sentence and bundle, and
// when hsup was last seen.
package ledger
