// Command bench measures hsup end to end and prints a markdown report:
// detection-to-restart time per failure mode against its configured budget,
// hsup's own CPU time per 1000 health probes and its RSS, and how long a
// diagnostics capture takes for a child with few or many open descriptors,
// with and without lsof. On Linux it also runs hsup beside its peers over
// the same child (runit, daemontools, s6, supervisord, monit, from Debian's
// packages; a missing one is reported and skipped): restart latency, wedge
// detection to recovery, idle overhead, and hsup's own FD/goroutine/RSS
// hygiene over 10,000 probes and 500 restarts; and the memory of hsup's
// release build (scripts/release.sh) at steady state beside supervisord,
// monit and runit (--memory-remedies adds a row per remedy: build tags,
// soft memory limits).
//
// Run it from the module root:
//
//	go run ./test/bench                          # everything, about 21 minutes
//	go run ./test/bench --parts=detect,cpu,diag  # hsup alone, about 1 minute
//	go run ./test/bench --parts=memory --memory-remedies  # about 12 minutes
//	go run ./test/bench --runs=1 --parts=detect --modes=hang,crash
//
// It builds ./cmd/hsup once into a temporary directory, starts `hsup demo`
// on free ports of 127.0.0.1, and always stops every hsup it started
// (SIGTERM, then SIGKILL after a bound). Results also go to --json
// (default bench-results/latest.json, ignored by git).
package main
