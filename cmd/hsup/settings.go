package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/hsup/hsup/diagnose"
	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/metrics"
	"github.com/hsup/hsup/runstate"
	"github.com/hsup/hsup/supervise"
)

// settings are the validated values of the run flags, built once by
// readSettings. run, demo, doctor and the unit and plist generators take
// this value and read no flag again.
type settings struct {
	nofile      uint64
	restart     supervise.RestartPolicy
	backoff     supervise.BackoffPolicy
	crashLoop   supervise.CrashLoopPolicy
	stopSignal  syscall.Signal
	stopGrace   time.Duration
	stdin       bool // the child inherits hsup's standard input (--stdin=inherit)
	logFormat   string
	logLevel    string
	files       fileSettings
	health      healthcheck.Config // URL "" = no probing
	metricsAddr string
	pprof       bool
	diagDir     string
	diagKeep    int
	diagTimeout time.Duration
	dumpSignal  syscall.Signal // 0 = none
	dumpWait    time.Duration
	dumpURL     string
	fdWarn      float64
	fdRestart   float64
	name        string // the service: one hsup per name; "" when no PROGRAM names it (doctor)
	stateDir    string // holds <name>/lock and <name>/child.json; "" when unknown
	stateDirSet bool   // given with --state-dir: unusable is bad input, not a warning
	// runArgs are the run flags the user set (on the command line or via
	// HSUP_*) as --name=value words: what a generated unit or plist passes
	// to `hsup run`, so the service runs with the settings checked here.
	runArgs []string
	// hooks are --on-event (found at start-up) and --on-event-timeout (hooks.go).
	hooks hookSettings

	accept acceptSettings // --accept-stall and --listen-port (acceptq.go)
}

// usageError is bad input: one line on stderr, exit 2, nothing started.
func usageError(format string, args ...any) error {
	return cli.Exit("hsup: "+fmt.Sprintf(format, args...), 2)
}

// readSettings validates every run flag; the first problem is returned as
// a usage error naming the flag and how to fix it. Each value is checked by
// the package that owns it (supervise, healthcheck); what no package owns
// is checked here.
func readSettings(c *cli.Context) (settings, error) {
	var s settings
	var err error
	s.nofile = c.Uint64("nofile")
	if s.restart, err = supervise.ParseRestartPolicy(c.String("restart")); err != nil {
		return s, usageError("%v", err)
	}
	if s.health, err = healthSettings(c); err != nil {
		return s, err
	}
	s.backoff = supervise.BackoffPolicy{Min: c.Duration("backoff-min"), Max: c.Duration("backoff-max"), Reset: c.Duration("backoff-reset")}
	if err := s.backoff.Validate(); err != nil {
		return s, usageError("%v", err)
	}
	s.crashLoop = supervise.CrashLoopPolicy{After: c.Int("crash-loop"), GiveUp: c.Int("give-up-after")}
	if s.crashLoop.After < 0 || s.crashLoop.GiveUp < 0 {
		return s, usageError("--crash-loop=%d, --give-up-after=%d: give a count of restarts, 0 for off", s.crashLoop.After, s.crashLoop.GiveUp)
	}
	if err := s.readStop(c); err != nil {
		return s, err
	}
	switch c.String("stdin") {
	case "null":
	case "inherit":
		s.stdin = true
	default:
		return s, usageError("--stdin=%q: use null or inherit", c.String("stdin"))
	}
	if s.logFormat, s.logLevel, err = logOptions(c); err != nil {
		return s, err
	}
	if s.files, err = readFiles(c); err != nil {
		return s, err
	}
	if err := s.readService(c); err != nil {
		return s, err
	}
	if err := s.readDiagnostics(c); err != nil {
		return s, err
	}
	if s.hooks, err = readHooks(c); err != nil {
		return s, err
	}
	if s.accept, err = readAccept(c); err != nil {
		return s, err
	}
	s.runArgs = setFlags(c)
	return s, nil
}

func (s *settings) readStop(c *cli.Context) error {
	var err error
	if s.stopSignal, err = parseSignal("stop-signal", c.String("stop-signal")); err != nil {
		return usageError("--stop-signal=%q: give a signal name such as TERM, INT or QUIT", c.String("stop-signal"))
	}
	s.stopGrace = c.Duration("stop-grace")
	if err := supervise.ValidateStop(s.stopSignal, s.stopGrace); err != nil {
		return usageError("%v", err)
	}
	return nil
}

func logOptions(c *cli.Context) (string, string, error) {
	format, level := c.String("log-format"), c.String("log-level")
	switch format {
	case "auto", "json", "console":
	default:
		return "", "", usageError("--log-format=%q: use auto, json or console", format)
	}
	switch level {
	case "debug", "info", "warn", "error":
	default:
		return "", "", usageError("--log-level=%q: use debug, info, warn or error", level)
	}
	return format, level, nil
}

// fileSettings are hsup's own output files: --log-file, --output-file and
// their rotation. Empty paths keep the streams.
type fileSettings struct {
	log, output string
	maxMiB      int
	keep        int
}

func readFiles(c *cli.Context) (fileSettings, error) {
	f := fileSettings{log: c.String("log-file"), output: c.String("output-file"), maxMiB: c.Int("log-max-size"), keep: c.Int("log-keep")}
	switch {
	case f.maxMiB < 1:
		return f, usageError("--log-max-size=%d: give the size in MiB at which files are rotated, at least 1", f.maxMiB)
	case f.keep < 1:
		return f, usageError("--log-keep=%d: give how many rotated files to keep, at least 1", f.keep)
	}
	for flag, p := range map[string]*string{"log-file": &f.log, "output-file": &f.output} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return f, usageError("--%s=%q: %v", flag, *p, err)
		}
		*p = abs
	}
	if f.log != "" && f.output != "" && samePath(f.log, f.output) {
		return f, usageError("--log-file and --output-file are both %q: give two files (each is rotated on its own)", f.log)
	}
	return f, nil
}

// samePath reports whether two absolute paths name one file: the same
// path, or one existing file (a hard link, a directory symlink between).
func samePath(a, b string) bool {
	if a == b {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

func healthSettings(c *cli.Context) (healthcheck.Config, error) {
	h := healthcheck.Config{
		URL: c.String("health-url"), Interval: c.Duration("health-interval"), Timeout: c.Duration("health-timeout"),
		Failures: c.Int("health-failures"), DeepURL: c.String("deep-url"), DeepInterval: c.Duration("deep-interval"),
		DeepTimeout: c.Duration("deep-timeout"), DeepFailures: c.Int("deep-failures"),
		HeartbeatField: c.String("heartbeat-field"), HeartbeatStale: c.Duration("heartbeat-stale"),
		BusyFailures: c.Int("busy-failures"), StartupGrace: c.Duration("startup-grace"),
	}
	if h.URL == "" {
		h.DeepURL = ""
		return h, nil
	}
	if err := healthcheck.ValidateURL(h.URL); err != nil {
		return h, usageError("--health-url: %v", err)
	}
	if h.DeepURL == "auto" {
		deep, err := healthcheck.DeepURL(h.URL)
		if err != nil {
			return h, usageError("--health-url: %v", err)
		}
		h.DeepURL = deep
	}
	if err := h.Validate(); err != nil {
		return h, usageError("%v", firstError(err))
	}
	return h, nil
}

// firstError is the first of errors joined by errors.Join (err itself
// otherwise): a usage error is one line, and the first problem is enough
// to act on.
func firstError(err error) error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok && len(joined.Unwrap()) > 0 {
		return joined.Unwrap()[0]
	}
	return err
}

func (s *settings) readService(c *cli.Context) error {
	if err := s.readName(c); err != nil {
		return err
	}
	s.metricsAddr, s.pprof = c.String("metrics-addr"), c.Bool("pprof")
	if s.pprof && !metrics.PprofBuilt {
		return usageError("--pprof: this hsup was built with -tags hsup_nopprof, without net/http/pprof (go install builds one with it)")
	}
	if s.metricsAddr == "" {
		return nil
	}
	if _, port, err := net.SplitHostPort(s.metricsAddr); err != nil || port == "" {
		return usageError("--metrics-addr=%q: give host:port such as 127.0.0.1:9464, or \"\" to disable", s.metricsAddr)
	}
	return nil
}

// readName reads --name (default: PROGRAM's base name, made a valid name)
// and --state-dir.
func (s *settings) readName(c *cli.Context) error {
	s.name = c.String("name")
	if s.name == "" && c.NArg() > 0 {
		s.name = serviceName(c.Args().First())
	}
	if s.name != "" {
		if err := runstate.ValidName(s.name); err != nil {
			return usageError("--name: %v", err)
		}
	}
	s.stateDir, s.stateDirSet = c.String("state-dir"), c.IsSet("state-dir")
	if s.stateDir == "" {
		home, _ := os.UserHomeDir()
		s.stateDir = runstate.DefaultDir(runtime.GOOS, os.Getenv, home)
	}
	return nil
}

// serviceName makes a program's base name a valid service name: characters
// a name may not hold become '-'.
func serviceName(program string) string {
	b := []byte(filepath.Base(program))
	for i, ch := range b {
		ok := ch == '.' || ch == '_' || ch == '-' || ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z'
		if !ok {
			b[i] = '-'
		}
	}
	name := strings.Trim(string(b), ".")
	if len(name) > 64 {
		name = name[:64]
	}
	if name == "" {
		return "service"
	}
	return name
}

func (s *settings) readDiagnostics(c *cli.Context) error {
	s.diagDir, s.diagKeep, s.diagTimeout = c.String("diag-dir"), c.Int("diag-keep"), c.Duration("diag-timeout")
	if s.diagDir == "" && s.name != "" {
		// Each service its own directory: two services sharing one would
		// prune each other's bundles (--diag-keep counts a directory).
		home, _ := os.UserHomeDir()
		if base := diagnose.DefaultDir(runtime.GOOS, os.Getenv, home); base != "" {
			s.diagDir = filepath.Join(base, s.name)
		}
	}
	s.dumpWait, s.dumpURL = c.Duration("dump-wait"), c.String("dump-url")
	// diagnose takes these as given: a capture bounded by 0 could not
	// record anything, and a negative wait is a typo.
	if s.diagTimeout <= 0 {
		return usageError("--diag-timeout=%v must be a positive duration such as 5s or 1m30s", s.diagTimeout)
	}
	if s.dumpWait < 0 {
		return usageError("--dump-wait=%v must be a positive duration such as 5s or 1m30s", s.dumpWait)
	}
	if s.diagKeep < 1 {
		return usageError("--diag-keep=%d must be at least 1", s.diagKeep)
	}
	var err error
	if s.dumpSignal, err = parseSignal("dump-signal", c.String("dump-signal")); err != nil {
		return usageError("--dump-signal=%q: give a signal name such as USR1 or QUIT, or \"\" for none", c.String("dump-signal"))
	}
	if s.dumpURL != "" {
		if err := healthcheck.ValidateURL(s.dumpURL); err != nil {
			return usageError("--dump-url: %v", err)
		}
	}
	s.fdWarn, s.fdRestart = c.Float64("fd-warn"), c.Float64("fd-restart")
	for name, v := range map[string]float64{"fd-warn": s.fdWarn, "fd-restart": s.fdRestart} {
		if v < 0 || v > 1 {
			return usageError("--%s=%v must be a fraction between 0 and 1 (0 = off)", name, v)
		}
	}
	return nil
}

// parseSignal reads TERM, SIGTERM or 15; "" is 0 (none).
func parseSignal(flag, v string) (syscall.Signal, error) {
	if v == "" {
		return 0, nil
	}
	name := strings.ToUpper(v)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err == nil && n > 0 && n < 65 && unix.SignalName(syscall.Signal(n)) != "" {
		return syscall.Signal(n), nil
	}
	return 0, fmt.Errorf("--%s: unknown signal %q", flag, v)
}
