// Package diagnose captures the evidence of a wedge before hsup restarts
// the child: a bundle directory per capture, so every restart leaves a
// record that explains it (the production wedge held 366 descriptors, 238
// of them state.db handles, found by hand after the fact).
//
// A bundle is a directory <UTC time>-pid<PID>-<reason> (mode 0700, files
// 0600) under Config.Dir holding:
//
//	summary.json        service, hsup_version, argv, reason, cause (one sentence: the
//	                    verdict's, the failing deep checks, a file holding most
//	                    descriptors), restart, verdict {reason, sentence}, streak, pid,
//	                    captured_at, uptime_seconds, nofile_soft, nofile_source, open_fds,
//	                    threads, thread_states (Linux), fd_source, top_files,
//	                    failing_checks (the WebUI's checks.* not ok or missing, from the
//	                    last deep answer), probes (the last probe of each kind: status,
//	                    headers, body as read), probe_history, ledger {file, seq},
//	                    wedge {kind, kinds, words, evidence} (the kind of wedge:
//	                    stopped, fd_exhausted, blocked, cpu_spin, accept_stall, slow
//	                    or unknown; see wedge.go), health, collectors. Absent values
//	                    are left out or null, never zero times.
//	lsof.txt            `lsof -nP -p PID`, when lsof is found (macOS: /usr/sbin/lsof first)
//	fds.txt             Linux, when lsof is absent or failed: "fd -> target" from /proc
//	threads.txt         Linux: tid, name, state, wchan, kernel stack per thread;
//	                    macOS: `sample PID 1 -mayDie -file` (a refusal is a failed collector)
//	ps-group.txt        macOS: `ps -o pid,ppid,pgid,stat,rss,vsz,etime,command` of the child's group
//	ps-threads.txt      macOS: `ps -M -p PID`
//	py-stack.txt        `py-spy dump --pid PID`, when py-spy is found (macOS: only as root;
//	                    otherwise the collector is recorded as skipped, with why)
//	output-tail.txt     the child's last output (after the dump signal's wait), with
//	                    hsup's marks where each child's output begins and ends
//	probe-cheap.txt     the last cheap and deep probe: URL, result, status, headers, body
//	probe-deep.txt
//	dump-url.txt        Config.DumpURL's body (a Go child's goroutine dump)
//	hsup-goroutines.txt hsup's own goroutines
//	limits.txt          Linux: /proc/PID/limits
//	status.txt          Linux: /proc/PID/status
//	.hsup-bundle        the marker: {"seq", "written", "pid", "hsup_pid", "service", "streak"}
//
// Config.Dir itself must be hsup's user's and writable by nobody else (a
// symlink, another owner, or group/other write is refused: one warning,
// captures off). Retention counts and removes only directories that hold
// hsup's marker naming Config.Service (services sharing a directory never
// prune each other's). Of those it keeps the Keep with the highest seq (a
// counter hsup keeps in Dir/.hsup-seq, not the wall clock of the names),
// and the first bundle of every restart streak that has a bundle among
// them: a crash loop's bundles do not flush the one that explains it.
//
// What hsup knows and the child cannot tell (the verdict, the streak, the
// argv, the last probes, the ledger line) comes from Config.Facts and
// Config.Ledger at the start of each capture. List and ReadFile read
// bundles back for `hsup bundles`.
//
// The wedge is classifyWedge's, a pure function of the evidence: the
// thread_cpu collector's two readings of the child's threads (as the
// collectors start and cpuWindow, 0.1 s, later; it writes no file, and
// makes every capture last at least that long), the FD count against the
// soft limit, Config.AcceptQueue's sample, and the probes since the last
// one that passed. Several kinds may hold; Kinds lists them cause before
// symptom and Kind is the first. Missing evidence never makes a kind
// hold. Its words also go on the capture's log line (wedge, wedge_words).
//
// top_files counts descriptors per path for files, directories and
// devices, and per kind ("[pipe]", "[socket]", "[IPv4]") for the rest, so a
// leak of either shows up as one line with a large count.
//
// Collectors run concurrently, each under Config.Timeout; commands run in
// their own process group, killed as a whole at the deadline. A failing
// collector is recorded in summary.json and the capture goes on: the
// capture never holds up the restart that follows it. The one exception to
// "every goroutine is waited for": a collector blocked in a system call past
// its deadline (a /proc read on a wedged process) is abandoned a second
// later and finishes on its own.
//
// Pressure watches the child's descriptor count against its RLIMIT_NOFILE
// and asks for a bundle, or a restart, before the child runs out.
package diagnose
