// Package healthcheck probes one child over HTTP and decides, from the
// stream of probe results, whether it is starting, healthy or degraded.
//
// It owns four things and nothing else (it never starts or stops processes):
//
//   - Probe: one GET on a fresh TCP connection, bounded in time (connect,
//     headers and body) and in body size. Keep-alive is off on purpose: a
//     reused connection would bypass the server's accept loop, which is the
//     part that wedges.
//   - Classify: the pure mapping from (status, body, transport error) to a
//     Result: ok, degraded, busy, timeout, refused, reset or error.
//   - Policy: the pure state machine that turns a stream of Outcomes into a
//     Verdict (failure thresholds, deep probe, heartbeat staleness, busy
//     threshold, startup grace). It never reads a clock; callers pass now.
//   - Monitor: the thin shell that runs the cheap and deep probe loops for
//     one child, feeds the Policy and reports the verdict once.
//
// Counting rules, in one place: an ok cheap probe resets both the failure
// and the busy count. A busy answer (HTTP 503 without a JSON body) counts
// only towards the busy threshold; any other non-ok answer counts only
// towards the failure threshold. Before the first ok cheap probe nothing
// counts except the startup grace.
package healthcheck
