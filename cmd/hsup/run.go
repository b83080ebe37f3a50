package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"
	"go.uber.org/zap"

	"github.com/hsup/hsup/diagnose"
	"github.com/hsup/hsup/fdlimit"
	"github.com/hsup/hsup/metrics"
	"github.com/hsup/hsup/reaper"
	"github.com/hsup/hsup/softlimit"
	"github.com/hsup/hsup/supervise"
	"github.com/hsup/hsup/systemd"
)

func runCommand(rf []cli.Flag) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run PROGRAM as a supervised foreground child",
		ArgsUsage: "-- PROGRAM [ARGS...]",
		Description: "hsup execs PROGRAM (no shell) as its direct child, in the process group of a lifeline that stops\n" +
			"the group if hsup dies; it probes the child over HTTP, captures a diagnostics bundle and restarts it\n" +
			"with backoff when it exits or stops serving. SIGTERM/SIGINT stop it for good. One hsup per --name;\n" +
			"what an earlier hsup of the service left running is reclaimed at start. Exit codes: 0 for a clean\n" +
			"stop (told to stop, the child ended on the stop signal); else the child's status (128+N for signal N);\n" +
			"2 bad flags or unusable --state-dir or output files; 69 gave up on a crash loop (--give-up-after);\n" +
			"75 retryable (another hsup runs this --name, the metrics address stayed in use); 126 PROGRAM not\n" +
			"executable; 127 PROGRAM not found. Every flag is also HSUP_<FLAG>.",
		Flags: slices.Clip(rf), // cli appends its help flag: never into rf
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageError("no PROGRAM given: hsup run [flags] -- PROGRAM [ARGS...]")
			}
			s, err := readSettings(c)
			if err != nil {
				return err
			}
			return superviseProgram(c, s, c.Args().Slice())
		},
	}
}

// superviseProgram is hsup's main job, as a checklist: resolve the program,
// claim the service (lock) and reclaim what an earlier hsup left, bind the
// metrics listener, set the child's FD limit, become the subreaper, wire
// the monitors, supervise until told to stop, exit with the child's status.
func superviseProgram(c *cli.Context, s settings, argv []string) error {
	ownLimit := tuneRuntime()
	if err := openFiles(s.files, volumeWait); err != nil {
		return err
	}
	log, err := newLogger(s.logFormat, s.logLevel)
	if err != nil {
		return usageError("--log-level: %v", err)
	}
	defer func() { _ = log.Sync() }()
	// From here a SIGTERM waits for the supervisor, which stops at once
	// (after starting and stopping a child, should it be that far), rather
	// than killing hsup in a start-up step bounded by volumeWait.
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs, slices.Concat(supervise.ShutdownSignals, supervise.ForwardSignals, supervise.CaughtSignals)...)
	defer signal.Stop(sigs)
	path, err := supervise.Resolve(argv[0])
	if err != nil {
		var se *supervise.StartError
		errors.As(err, &se)
		return exitLogged(log, err.Error(), se.Code)
	}
	svc, err := claimService(s, log) // one hsup per name, before anything starts
	if err != nil {
		return err
	}
	defer svc.close()
	svc.reclaim(s, log) // what an earlier hsup of this service left running
	var current atomic.Pointer[supervise.Supervisor]
	page := newStatusPage(s, &current)
	hk := newHooks(s, log) // --on-event (hooks.go)
	m := newMetrics(s, &current, page, hk.collectors()...)
	srv, err := listenMetrics(s, m, log)
	if err != nil {
		return err
	}
	// Past the refusals (each one line, nothing logged): the version and
	// the effective settings (startup.go).
	logStart(log, s, path, argv)
	limit := applyNofile(s.nofile, log)
	subreaper(log)
	w := wire(s, log, m, limit, page.probe)
	w.facts.argv = argv // the child's command line, for bundles (bundlefacts.go)
	w.cfg.Spec = childSpec(s, svc, path, argv, limit, w, log)
	rec := newRecorder(svc, log)
	op := newOperator(s, svc, argv, log, w, &current) // the ledger and the control socket (ledger.go, control.go)
	w.cfg.OnEvent = subscribe(m, w.notifier, rec, page.observe, hk.observe,
		w.facts.observe, tailMarks(w.tail), op.observe) // bundlefacts.go: what bundles learn, where each child's output begins
	w.cfg.Signals = sigs
	sup := supervise.New(w.cfg)
	current.Store(sup)
	code, err := runGroup(log, sup, slices.Concat(companions(srv, w.notifier, sup, rec), page.companions(srv), hk.companions(), op.companions(),
		memoryLimitKeeper(log, ownLimit))...)
	return finish(log, svc, sup, code, err)
}

// childSpec is what the supervisor starts: the program (through the
// _nofile-exec shim when it gets a limit of its own), its environment,
// its output (to hsup's streams or --output-file, and the bundles' tail),
// its lifeline.
func childSpec(s settings, svc *claim, path string, argv []string, limit nofilePlan, w wiring, log *zap.Logger) supervise.Spec {
	spec := supervise.Spec{Path: nofilePath(path, limit), Args: nofileArgs(path, argv, limit),
		Env:    append(childEnv(os.Environ()), "HSUP_RUN_ID="+svc.runID),
		Stdout: teeWriter{childOutput("stdout"), w.tail}, Stderr: teeWriter{childOutput("stderr"), w.tail},
		Lifeline: lifeline(s, svc, log)}
	if s.stdin {
		spec.Stdin = os.Stdin
	}
	return spec
}

// finish is what follows the last child: hsup's exit status, and the one
// line that explains it.
func finish(log *zap.Logger, svc *claim, sup *supervise.Supervisor, code int, err error) error {
	// No child is left to inherit it: from here to the exit a reader that
	// went away must not kill hsup (141) while it writes its last lines.
	signal.Ignore(syscall.SIGPIPE)
	if svc.dir != nil {
		// The child and its tree are stopped: nothing to reclaim.
		_ = within(volumeWait, "clearing the child record", svc.dir.ClearRecord)
	}
	if err != nil {
		var se *supervise.StartError
		if errors.As(err, &se) {
			return exitLogged(log, se.Error(), se.Code)
		}
		return exitLogged(log, err.Error(), 1)
	}
	// code is the child's status, or 0 for a clean stop (told to stop, and
	// the child ended on the stop signal); the child's own is beside it.
	log.Info("hsup exiting", zap.Int("code", code), zap.Int("child_exit_code", sup.Status().LastExitCode))
	if code != 0 {
		return cli.Exit("", code)
	}
	return nil
}

// exitLogged is the one line hsup exits with, on stderr, and also in
// --log-file when there is one: an operator reads that log first, and
// stderr is only launchd's fallback file.
func exitLogged(log *zap.Logger, msg string, code int) error {
	if files.log != nil {
		log.Error("hsup cannot go on: "+msg, zap.Int("exit_code", code))
	}
	return cli.Exit("hsup: "+msg, code)
}

// newMetrics builds the metrics over the published status of the
// supervisor that current will hold.
func newMetrics(s settings, current *atomic.Pointer[supervise.Supervisor], page *statusPage, extra ...prometheus.Collector) *metrics.Metrics {
	return metrics.New(metrics.Options{Pprof: s.pprof, Labels: labels(), Status: metricsStatus(current.Load),
		Page:    page.handler,
		Dropped: droppedCounters(),
		Extra:   append([]prometheus.Collector{buildInfo()}, extra...), // version.go; extra: hooks.go
		Live: func(ctx context.Context) error {
			if sup := current.Load(); sup != nil {
				return sup.Ping(ctx)
			}
			return errors.New("supervisor not started yet")
		}})
}

// subreaper makes hsup the child subreaper on Linux, so what leaves the
// child's tree (a daemonized helper) is re-parented to hsup, stopped with
// the child, and reaped.
func subreaper(log *zap.Logger) {
	if err := reaper.Subreaper(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		log.Warn("not a child subreaper: a descendant that leaves the child's tree is not stopped with it", zap.Error(err))
	}
}

// tuneRuntime: hsup waits on I/O from one loop; a single P spares the
// scheduler's spinning threads (about a third of its idle CPU).
// GOMAXPROCS overrides. It then sets the soft memory limit, and reports
// whether hsup keeps it (softMemoryLimit).
func tuneRuntime() (ownsMemoryLimit bool) {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	return softMemoryLimit()
}

// softMemoryLimit: hsup's live heap is under 1 MiB, but the Go heap grows
// to its 4 MiB minimum goal and keeps the pages; a soft limit makes the
// scavenger hand them back. The limit counts the runtime's own memory
// too (about 6.5 MiB in all at idle), so it also sets how often the GC
// runs: at 7 MiB (softlimit.Default.Floor) about 8 times a minute with
// /metrics scraped every 15 s, at 6 MiB some 250 (README, "Memory at
// steady state"; test/bench --parts=memory --memory-remedies). The
// softlimit actor raises it while the GC runs more than that, should
// hsup's heap grow. GOMEMLIMIT overrides (GOMEMLIMIT=off: none). Set
// through the API, not the environment, so the child does not inherit it.
// It reports whether hsup keeps the limit.
func softMemoryLimit() bool {
	if os.Getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetMemoryLimit(softlimit.Default.Floor)
	return true
}

// memoryLimitKeeper is the actor that moves hsup's soft memory limit with
// the GC's cost (package softlimit), when hsup set it.
func memoryLimitKeeper(log *zap.Logger, owned bool) []actor {
	if !owned {
		return nil
	}
	moved := func(from, to int64, gcs uint64) {
		log.Info("soft memory limit moved", zap.Int64("from_bytes", from), zap.Int64("to_bytes", to),
			zap.Uint64("gc_cycles_last_minute", gcs))
	}
	return []actor{{name: "soft memory limit", run: func(ctx context.Context) error {
		return softlimit.Run(ctx, softlimit.Default, softlimit.Live(debug.SetMemoryLimit), moved)
	}}}
}

// actor is a companion of the supervisor in the run group: it runs until
// its context is done, and its error is logged, never dropped.
type actor struct {
	name string
	run  func(ctx context.Context) error
}

// companions are the actors that live as long as the supervisor: the
// metrics server (when listening), the sd_notify sender and watchdog, and
// the writer of the child record.
func companions(srv *metrics.Server, n *systemd.Notifier, sup *supervise.Supervisor, rec *recorder) []actor {
	as := []actor{
		{name: "sd_notify", run: func(ctx context.Context) error { return n.Run(ctx, sup.Ping) }},
		{name: "child record", run: rec.run},
	}
	if srv != nil {
		as = append(as, actor{name: "metrics server", run: srv.Serve})
	}
	return as
}

// runGroup runs the supervisor with its companions, as oklog/run does with
// one difference: a companion that fails is logged and the child stays
// supervised (a broken metrics port must not stop the app). When the
// supervisor returns, the companions are stopped and waited for; each of
// them bounds its own shutdown.
func runGroup(log *zap.Logger, sup *supervise.Supervisor, actors ...actor) (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, a := range actors {
		wg.Go(func() {
			if err := a.run(ctx); err != nil {
				log.Error("companion stopped: "+a.name, zap.Error(err))
			}
		})
	}
	code, err := sup.Run(context.Background())
	cancel()
	// Each companion bounds its own stop (metrics 5 s, sd_notify 2 s); one
	// stuck on a hung volume (the child record) must not keep hsup alive.
	if !waitWithin(&wg, companionWait) {
		log.Warn("a companion did not stop in time (blocked on a hung volume?); exiting without it", zap.Duration("waited", companionWait))
	}
	return code, err
}

// companionWait bounds the wait for the run group's companions at exit.
const companionWait = 8 * time.Second

func listenMetrics(s settings, m *metrics.Metrics, log *zap.Logger) (*metrics.Server, error) {
	if s.metricsAddr == "" {
		return nil, nil
	}
	srv := metrics.NewServer(m.Handler(), log)
	err := srv.Listen(s.metricsAddr)
	// A port in use may be brief (an hsup that is stopping still holds
	// it): retried for a while, then exit 75, which a service manager may
	// retry. Any other error is bad input, exit 2.
	for wait := 100 * time.Millisecond; errors.Is(err, syscall.EADDRINUSE) && wait <= metricsRetry; wait *= 2 {
		time.Sleep(wait) // nothing has started yet: there is nothing else to do meanwhile
		err = srv.Listen(s.metricsAddr)
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, cli.Exit(fmt.Sprintf("hsup: %v (still, after %v)", err, 2*metricsRetry-100*time.Millisecond), supervise.ExitTransient)
	case err != nil:
		return nil, cli.Exit("hsup: "+err.Error(), 2)
	}
	log.Info("metrics listening", zap.String("addr", srv.Addr()))
	return srv, nil
}

// metricsRetry is the longest wait between tries to bind a metrics
// address in use (100 ms doubling: about 3 s in all).
const metricsRetry = 1600 * time.Millisecond

// applyNofile gives hsup its own descriptor budget and decides the
// child's. hsup's soft RLIMIT_NOFILE goes to its hard limit, never to
// --nofile: a flood of clients on the metrics port cannot take the
// descriptors its probes and starts need. The child gets want (clamped)
// from the _nofile-exec shim (see nofilePath); with --nofile=0 it inherits
// the soft limit hsup was started with. The plan also says which limit
// the FD-pressure watcher and bundles judge against where the child's own
// cannot be read, and where it came from (planNofile). Never fatal: a
// limit that cannot be set or known is one warning.
func applyNofile(want uint64, log *zap.Logger) nofilePlan {
	own, err := fdlimit.RaiseOwn()
	if err != nil {
		log.Warn("could not raise hsup's own RLIMIT_NOFILE to its hard limit", zap.Error(err))
	} else {
		log.Info("hsup's own RLIMIT_NOFILE", zap.Uint64("soft", own.Soft), zap.Uint64("hard", own.Hard))
	}
	_, shimErr := shimExecutable()
	if shimErr != nil && (want != 0 || own.Set) {
		log.Warn("cannot find hsup's own executable to set the child's RLIMIT_NOFILE; it inherits hsup's", zap.Error(shimErr))
	}
	var t fdlimit.Target
	planned := false
	if want != 0 && shimErr == nil {
		t, planned = planChild(want, log)
	}
	p := planNofile(want, own, shimErr == nil, t, planned)
	if p.direct() {
		if p.watch, err = fdlimit.Inherited(); err != nil {
			log.Warn("cannot tell the RLIMIT_NOFILE the child inherits; FD pressure is judged only where the child's own limit is readable (Linux)", zap.Error(err))
		}
	}
	return p
}

// childEnv is hsup's environment plus HSUP_SUPERVISED=1, less the
// sd_notify variables: those address hsup (NotifyAccess=main), and a child
// that used them would speak for hsup or be rejected by systemd.
func childEnv(environ []string) []string {
	out := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "HSUP_SUPERVISED":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "HSUP_SUPERVISED=1")
}

// teeWriter copies the child's output through to hsup's own (childOutput)
// and into the diagnostics tail. Neither waits on a stalled reader, so
// the child never does and its exit is seen when it happens.
type teeWriter struct {
	out  io.Writer
	tail *diagnose.Tail
}

func (t teeWriter) Write(p []byte) (int, error) {
	_, _ = t.out.Write(p)
	_, _ = t.tail.Write(p)
	return len(p), nil
}

// outputReadSize is the buffer the child's output pipe is read into. A
// pipe read returns what is there, mostly a line or a few, so 4 KiB costs
// no more reads at the rates apps log; io.Copy's own 32 KiB per stream
// would be held for the child's whole life.
const outputReadSize = 4 << 10

// ReadFrom is what os/exec's copy from the child's pipe calls (io.Copy
// prefers it), so that copy reads into outputReadSize bytes.
func (t teeWriter) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, outputReadSize)
	var n int64
	for {
		m, err := r.Read(buf)
		if m > 0 {
			_, _ = t.Write(buf[:m])
			n += int64(m)
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
