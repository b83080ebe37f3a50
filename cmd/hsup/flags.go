package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/output"
)

// env names the environment variable every flag can also be read from.
func env(name string) []string {
	return []string{"HSUP_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))}
}

// runFlags are the flags of `hsup run`, shared by demo, doctor and the
// unit/plist generators so they mean the same everywhere.
func runFlags() []cli.Flag {
	dur := func(name string, v time.Duration, usage string) cli.Flag {
		return &cli.DurationFlag{Name: name, Value: v, Usage: usage, EnvVars: env(name)}
	}
	num := func(name string, v int, usage string) cli.Flag {
		return &cli.IntFlag{Name: name, Value: v, Usage: usage, EnvVars: env(name)}
	}
	str := func(name, v, usage string) cli.Flag {
		return &cli.StringFlag{Name: name, Value: v, Usage: usage, EnvVars: env(name)}
	}
	frac := func(name string, v float64, usage string) cli.Flag {
		return &cli.Float64Flag{Name: name, Value: v, Usage: usage, EnvVars: env(name)}
	}
	return []cli.Flag{
		&cli.Uint64Flag{Name: "nofile", Value: 4096, EnvVars: env("nofile"),
			Usage: "RLIMIT_NOFILE soft limit for the child, clamped to the hard limit (0 = inherit)"},
		str("restart", "always", "what a child exit leads to: always, on-failure, never"),
		dur("backoff-min", time.Second, "least time between two starts of the child: a restart waits what is left of it (a child that ran longer comes back at once); the ceiling doubles per consecutive restart"),
		dur("backoff-max", time.Minute, "cap of the restart delay"),
		dur("backoff-reset", time.Minute, "healthy run time after which the delay returns to --backoff-min"),
		num("crash-loop", 10, "consecutive restarts without --backoff-reset of healthy running that make a crash loop: "+
			"one WARN line, then retries every --backoff-max (0 = off)"),
		num("give-up-after", 0, "consecutive such restarts after which hsup exits 69 so the service manager's limits apply (0 = never)"),
		str("stop-signal", "TERM", "signal sent (with SIGCONT) to the child's process group to stop it"),
		dur("stop-grace", 10*time.Second, "wait after the stop signal before SIGKILL of the group"),
		str("stdin", "null", "the child's standard input: null (/dev/null) or inherit (hsup's; a child reading a terminal "+
			"from its background process group is stopped by SIGTTIN)"),
		str("log-format", "auto", "auto (console on a terminal, else json), json, console"),
		str("log-level", "info", "debug, info, warn, error"),
		str("log-file", "", "file for hsup's own log (JSON unless --log-format=console), size-rotated; default: stderr"),
		str("output-file", "", "file for the child's stdout and stderr, each line prefixed with the time and the stream "+
			"(\"stdout:\", \"stderr:\"), size-rotated; default: hsup's own stdout and stderr"),
		num("log-max-size", output.DefaultFileMaxMiB, "MiB at which --log-file and --output-file are rotated: renamed to "+
			"NAME.1 (older ones shifted up) and a new file opened, never copied and truncated"),
		num("log-keep", output.DefaultFileKeep, "rotated files kept of each of --log-file and --output-file"),
		str("health-url", "http://127.0.0.1:8787/health", "cheap probe URL (\"\" disables all HTTP probing)"),
		dur("health-interval", 5*time.Second, "time between cheap probes"),
		dur("health-timeout", 2*time.Second, "bound on one cheap probe: connect, headers and body"),
		num("health-failures", 3, "consecutive failed cheap probes that make the child degraded (reason health)"),
		str("deep-url", "auto", "deep probe URL; auto = --health-url with deep=1 added; \"\" disables"),
		dur("deep-interval", time.Minute, "time between deep probes"),
		dur("deep-timeout", 10*time.Second, "bound on one deep probe"),
		num("deep-failures", 2, "consecutive failed deep probes that make the child degraded (reason deep)"),
		str("heartbeat-field", "accept_loop.requests_total", "dotted JSON path of the accept counter (\"\" disables)"),
		dur("heartbeat-stale", 30*time.Second, "no counter advance for this long makes the child degraded (reason heartbeat)"),
		num("busy-failures", 12, "consecutive bare 503s (all workers busy) that make the child degraded (reason busy)"),
		dur("startup-grace", time.Minute, "no ok probe within this after start makes the child degraded (reason startup)"),
		dur("accept-stall", 2*time.Second, "connections waiting this long in the child's accept queue, which neither drains nor "+
			"shrinks, with no probe answered meanwhile, make the child degraded (reason accept_stall; 0 = off)"),
		num("listen-port", 0, "port whose accept queue is watched, for an app whose health URL is on another port "+
			"(0 = the health URL's port)"),
		str("name", "", "service name: one hsup per name, and its lock and child record live under --state-dir/NAME "+
			"(default: PROGRAM's base name; also the unit name of `hsup systemd unit`)"),
		str("state-dir", "", "directory of the services' locks and child records (default $XDG_STATE_HOME/hsup, "+
			"~/.local/state/hsup, macOS ~/Library/Application Support/hsup)"),
		str("metrics-addr", "127.0.0.1:9464", "listen address for /metrics and /healthz (\"\" disables)"),
		&cli.BoolFlag{Name: "pprof", EnvVars: env("pprof"), Usage: "mount net/http/pprof on the metrics listener"},
		str("diag-dir", "", "diagnostics bundle directory (default, per --name: $XDG_STATE_HOME/hsup/diagnostics/NAME, "+
			"~/.local/state/hsup/diagnostics/NAME, macOS ~/Library/Logs/hsup/diagnostics/NAME)"),
		num("diag-keep", 10, "newest diagnostics bundles kept"),
		dur("diag-timeout", 10*time.Second, "bound on one diagnostics capture"),
		str("dump-signal", "", "signal sent to the child before capture so it dumps its stacks (e.g. USR1, QUIT)"),
		dur("dump-wait", 2*time.Second, "wait after --dump-signal before the output tail is saved"),
		str("dump-url", "", "URL fetched into the bundle (Go child: /debug/pprof/goroutine?debug=2)"),
		frac("fd-warn", 0.8, "fraction of the child's RLIMIT_NOFILE: warning and one bundle per crossing (0 = off)"),
		frac("fd-restart", 0, "fraction of the child's RLIMIT_NOFILE: restart, reason fd_pressure (0 = off)"),
		&cli.StringSliceFlag{Name: "on-event", EnvVars: env("on-event"),
			Usage: "PROGRAM run (no shell; found on PATH at start-up) for each event: degraded, restarted, recovered, " +
				"crash_loop, gave_up; the event as JSON on stdin, HSUP_EVENT, HSUP_NAME, HSUP_REASON, HSUP_BUNDLE in its " +
				"environment; repeatable (a comma also separates programs)"},
		dur("on-event-timeout", 10*time.Second, "bound on one run of an --on-event PROGRAM; then its process group is killed"),
	}
}

// setFlags renders the run flags the user set (on the command line or via
// HSUP_* variables) as --name=value words: settings.runArgs, which
// generated units and plists pass to `hsup run`.
func setFlags(c *cli.Context) []string {
	var out []string
	for _, f := range runFlags() {
		name := f.Names()[0]
		if _, many := f.(*cli.StringSliceFlag); many && c.IsSet(name) { // --on-event: one word per value
			for _, v := range c.StringSlice(name) {
				out = append(out, "--"+name+"="+hookPath(v))
			}
			continue
		}
		if c.IsSet(name) {
			out = append(out, "--"+name+"="+fmt.Sprint(c.Value(name)))
		}
	}
	return out
}
