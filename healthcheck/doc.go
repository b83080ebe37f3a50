// Package healthcheck probes one child over HTTP and decides, from the
// stream of probe results, whether it is starting, healthy or degraded.
//
// It owns four things and nothing else (it never starts or stops processes):
//
//   - Probe: one GET on a fresh TCP connection, bounded in time (connect,
//     headers and body) and in memory: the body is scanned as a stream, up
//     to 1 MiB, for the top-level status and the heartbeat field wherever
//     they are. Keep-alive is off on purpose: a reused connection would
//     bypass the server's accept loop, which is the part that wedges.
//   - Classify: the pure mapping from (status, body, transport error) to a
//     Result: ok, degraded, busy, invalid (a body cut, broken or too long
//     before its status: never better than its head), timeout, refused,
//     reset, error, or hsup_error (hsup itself was short of descriptors or
//     memory: no evidence about the child, never counted).
//   - Policy: the pure state machine that turns a stream of Outcomes into a
//     Verdict (failure thresholds, deep probe, heartbeat staleness, busy
//     threshold, startup grace). It never reads a clock; callers pass now.
//   - Monitor: the thin shell that runs the cheap and deep probe loops for
//     one child, feeds the Policy and reports the verdict once. It keeps,
//     for the diagnostics bundle (Evidence), the last probe of each kind
//     with what came back (status, a few headers, the body as read, at
//     most 64 KiB) and the last 32 probes.
//
// Counting rules, in one place: an ok cheap probe resets both the failure
// and the busy count. A busy answer (a bare HTTP 503: no body) counts only
// towards the busy threshold; a 503 with a body is degraded; any other
// non-ok answer but hsup_error counts only towards the failure threshold.
// Before the first ok cheap probe nothing counts except the startup grace.
// After a pause of hsup's own (stopped, or the machine asleep: a timer far
// late), the counts start over (Policy.Resume).
package healthcheck
