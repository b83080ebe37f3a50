// Package metrics exposes what hsup is doing to operators and probes.
//
// It owns a private Prometheus registry (never the global one) holding the
// hsup_* series plus the Go and process collectors, and serves it together
// with /healthz on a dedicated listener:
//
//	/metrics          Prometheus exposition of the registry
//	/healthz          200 while the child is "running", 503 otherwise; JSON body
//	/healthz?live=1   200 while Options.Live returns nil (hsup's own loop turns)
//	/debug/pprof/     only with Options.Pprof
//
// The supervisor does not import this package, and this package keeps no copy
// of the supervisor's state: gauges and /healthz read Options.Status (the
// supervisor's one published status) when asked, and counters are fed by
// cmd/hsup from the supervisor's and the monitors' events (Restart,
// ChildExited, Probe, Bundle). All methods are safe for concurrent use.
//
// Server separates Listen from Serve so that a taken port is reported at
// start-up, before any child is started.
package metrics
