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
// monit and runit, and beside a floor (test/bench/floor: an idle Go
// exporter that links hsup's dependencies, scraped the same way), so that
// what supervising costs is measured apart from what Go and the
// dependencies cost (--memory-remedies adds a row per remedy: build tags,
// soft memory limits).
//
// Three parts measure the accept-queue watch (--accept-stall) at hsup's
// defaults. stall times the detection of noaccept, emfile, freeze and a
// SIGSTOPped demo app (bench stops only the demo app hsup logged as its
// child, after checking its parent) with the watch on and off, each with
// no other traffic and with a client polling every 0.5 s. load hammers a
// 200 ms endpoint with 64 clients for 30 s, on a worker-pool child (bench
// re-executed with HSUP_BENCH_HELPER=workerpool: its accept queue stays
// non-empty but drains) and on the demo app (GET /slow), and counts
// restarts. quiet leaves hsup idle for 10 minutes with the watch on and
// off and reads its CPU time and restarts (--quiet-pprof adds a profile).
// The wedge part runs the tight policy with the watch off and with a 1 s
// stall too.
//
// Run it from the module root:
//
//	go run ./test/bench                          # everything, about 21 minutes
//	go run ./test/bench --parts=detect,cpu,diag  # hsup alone, about 1 minute
//	go run ./test/bench --parts=memory --memory-remedies  # about 12 minutes
//	go run ./test/bench --parts=stall,load,quiet,wedge    # about 25 minutes
//	go run ./test/bench --parts=quiet --quiet=5m --quiet-pprof
//	go run ./test/bench --runs=1 --parts=detect --modes=hang,crash
//
// It builds ./cmd/hsup once into a temporary directory, starts `hsup demo`
// on free ports of 127.0.0.1, and always stops every hsup it started
// (SIGTERM, then SIGKILL after a bound). Results also go to --json
// (default bench-results/latest.json, ignored by git).
package main
