// Package statuspage renders hsup's status page: one self-contained HTML
// document (inline CSS and SVG, no script, no external asset) that answers
// an operator's first questions at a glance.
//
//	status      state, pids, uptimes, restarts, the last restart's reason and
//	            sentence, backoff, probe failures, heartbeat age, open FDs
//	timeline    restarts per hour over the last 24 h, and the events behind
//	            them (degraded with its sentence, restart, bundle, crash loop)
//	charts      the child's open FDs and the probes' latency over the last
//	            hour (or since hsup started), as inline SVG
//	bundle      the latest bundle's summary.json: reason, open FDs against
//	            the soft limit, the top files, the path
//
// The package does not import the supervisor. cmd/hsup feeds a History
// from the supervisor's events (Record), the probes (Probe) and a sampler
// of the published status (SampleFDs), and gives the Page a function that
// returns the current Status. History is bounded (a ring of 512 entries,
// 360 buckets of 10 s per series) and guarded by one mutex held only to
// copy a value in or a snapshot out, so an observer on the supervisor's
// loop never waits on a request. The handler reads the latest bundle's
// summary.json (at most 256 KiB) once per bundle, off the loop, and waits
// for that read at most a second.
//
// Everything the page shows is escaped by html/template; the response
// carries a Content-Security-Policy that forbids scripts and any fetch, so
// the page stays self-contained by construction.
package statuspage
