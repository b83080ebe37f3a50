package main

import (
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"
	"go.uber.org/zap"

	"github.com/hsup/hsup/hooks"
	"github.com/hsup/hsup/supervise"
)

// hookSettings are --on-event and --on-event-timeout, checked.
type hookSettings struct {
	programs []string // absolute paths, found at start-up
	timeout  time.Duration
}

// readHooks finds every --on-event program now: a missing or
// non-executable one is bad input, not a failure at the first event.
func readHooks(c *cli.Context) (hookSettings, error) {
	h := hookSettings{timeout: c.Duration("on-event-timeout")}
	if h.timeout <= 0 {
		return h, usageError("--on-event-timeout=%v: give a positive bound such as 10s", h.timeout)
	}
	for _, p := range c.StringSlice("on-event") {
		path, err := hooks.Resolve(p)
		if err != nil {
			return h, usageError("--on-event: %v", err)
		}
		h.programs = append(h.programs, path)
	}
	return h, nil
}

// hookPath is an --on-event value as a generated unit or plist passes it:
// the absolute path found now, since a service manager's PATH and working
// directory are not the shell's. A value not found stays as it is (and
// readHooks refuses it).
func hookPath(program string) string {
	if path, err := hooks.Resolve(program); err == nil {
		return path
	}
	return program
}

// hookSet is the event hooks of one hsup run: the tracker on the
// supervisor's loop, the runner beside it, their counter. All nil
// without --on-event.
type hookSet struct {
	tracker *hooks.Tracker
	runner  *hooks.Runner
	runs    *prometheus.CounterVec
}

func newHooks(s settings, log *zap.Logger) *hookSet {
	if len(s.hooks.programs) == 0 {
		return &hookSet{}
	}
	runs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hsup_hook_runs_total",
		Help: "Runs of the --on-event programs by event and result: ok, failed (exit not 0), timeout " +
			"(killed at --on-event-timeout), dropped (queue full, or hsup exiting), error (could not start).",
	}, []string{"event", "result"})
	for _, e := range hooks.Names() {
		for _, r := range hooks.Results() {
			runs.WithLabelValues(e, r)
		}
	}
	r := hooks.New(hooks.Options{Programs: s.hooks.programs, Timeout: s.hooks.timeout, Env: hooks.Environ(os.Environ()),
		Log: log, Counted: func(event, result string) { runs.WithLabelValues(event, result).Inc() }})
	return &hookSet{tracker: hooks.NewTracker(s.name, s.health.URL != ""), runner: r, runs: runs}
}

// observe is the supervisor's observer: on its loop, it only decides and
// queues.
func (h *hookSet) observe(e supervise.Event) {
	if h.runner == nil {
		return
	}
	if ev, ok := h.tracker.Observe(e); ok {
		h.runner.Enqueue(ev)
	}
}

// collectors are hsup_hook_runs_total, for metrics.Options.Extra.
func (h *hookSet) collectors() []prometheus.Collector {
	if h.runs == nil {
		return nil
	}
	return []prometheus.Collector{h.runs}
}

// companions are the runner, in the run group: it stops with the
// supervisor, after at most hooks.DefaultExitWait for what is queued.
func (h *hookSet) companions() []actor {
	if h.runner == nil {
		return nil
	}
	return []actor{{name: "event hooks", run: h.runner.Run}}
}
