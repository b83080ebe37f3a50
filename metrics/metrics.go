package metrics

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Child states, as reported by the supervisor. The label set of
// hsup_child_state is pre-initialised with these; other values are accepted
// and get a series of their own.
var States = []string{"starting", "running", "capturing", "stopping", "backoff", "stopped"}

// Restart reasons, pre-initialised to 0 in hsup_child_restarts_total so that
// rate() and alerts work before the first restart.
var Reasons = []string{"exit", "health", "deep", "heartbeat", "busy", "startup", "fd_pressure"}

// Probe kinds and results, pre-initialised in hsup_health_probes_total.
var (
	Probes       = []string{"cheap", "deep"}
	ProbeResults = []string{"ok", "degraded", "busy", "timeout", "refused", "reset", "error"}
)

// Bundle results, pre-initialised in hsup_diagnostics_bundles_total.
var BundleResults = []string{"ok", "partial", "failed"}

// initialState is reported before the first State call: no child runs yet.
const initialState = "stopped"

// Options configures New. The zero value is usable: Now defaults to
// time.Now, /healthz?live=1 answers 503 until Live is set.
type Options struct {
	// Now is the clock for hsup_heartbeat_age_seconds and /healthz.
	Now func() time.Time
	// Live round-trips a request through the supervisor's loop; nil means
	// hsup is alive. It is called with a context bounded by LiveTimeout.
	Live func(ctx context.Context) error
	// LiveTimeout bounds one Live call; 0 means 5s.
	LiveTimeout time.Duration
	// Pprof mounts net/http/pprof under /debug/pprof/ on Handler's mux.
	Pprof bool
}

// Metrics holds hsup's collectors and the little state /healthz reports.
// All methods are safe for concurrent use.
type Metrics struct {
	opts Options
	reg  *prometheus.Registry

	up, startTime, hbValue, openFDs, nofile, backoff prometheus.Gauge
	state                                            *prometheus.GaugeVec
	restarts, exits, probes, bundles                 *prometheus.CounterVec
	probeDur                                         *prometheus.HistogramVec
	captureDur                                       prometheus.Histogram

	mu   sync.Mutex
	snap snapshot
}

// snapshot is what /healthz and the heartbeat age need; guarded by mu.
type snapshot struct {
	state       string
	pid         int
	restarts    int
	lastReason  string
	hbKnown     bool
	hbAdvanced  time.Time
	knownStates map[string]bool
}

// New builds the collectors on a fresh registry with the Go and process
// collectors, and pre-initialises every known label value.
func New(opts Options) *Metrics {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LiveTimeout <= 0 {
		opts.LiveTimeout = 5 * time.Second
	}
	m := &Metrics{opts: opts, reg: prometheus.NewRegistry()}
	m.snap.state = initialState
	m.snap.knownStates = make(map[string]bool, len(States))
	for _, s := range States {
		m.snap.knownStates[s] = true
	}
	m.newGauges()
	m.newCounters()
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.up, m.startTime, m.hbValue, m.openFDs, m.nofile, m.backoff,
		m.state, m.restarts, m.exits, m.probes, m.bundles, m.probeDur, m.captureDur,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hsup_heartbeat_age_seconds",
			Help: "Seconds since the child's heartbeat counter last advanced (0 until one is seen).",
		}, m.heartbeatAge),
	)
	m.initLabels()
	return m
}

func (m *Metrics) newGauges() {
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	m.up = g("hsup_child_up", "1 while a child process runs, 0 otherwise.")
	m.startTime = g("hsup_child_start_time_seconds", "Start time of the current child since the Unix epoch in seconds.")
	m.hbValue = g("hsup_heartbeat_value", "Last value of the child's heartbeat counter (accepted connections).")
	m.openFDs = g("hsup_child_open_fds", "Number of open file descriptors of the child.")
	m.nofile = g("hsup_child_nofile_limit", "RLIMIT_NOFILE soft limit the child really runs with.")
	m.backoff = g("hsup_backoff_seconds", "Current wait before the next restart in seconds, 0 when none.")
	m.state = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hsup_child_state",
		Help: "1 for the supervisor's current child state, 0 for the others.",
	}, []string{"state"})
}

func (m *Metrics) newCounters() {
	c := func(name, help, label string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
	}
	m.restarts = c("hsup_child_restarts_total", "Child restarts decided by hsup, by reason.", "reason")
	m.exits = c("hsup_child_exits_total", "Child exits by exit status (128+N for signal N).", "code")
	m.bundles = c("hsup_diagnostics_bundles_total", "Diagnostics bundles captured, by result.", "result")
	m.probes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hsup_health_probes_total",
		Help: "Health probes sent to the child, by probe kind and result.",
	}, []string{"probe", "result"})
	// 1 ms .. 10 s: a healthy cheap probe answers in milliseconds, the deep
	// probe's timeout defaults to 10 s.
	m.probeDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hsup_health_probe_duration_seconds",
		Help:    "Duration of health probes in seconds, by probe kind.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"probe"})
	// A histogram, not a summary: captures are rare (one per restart), so a
	// summary's sliding-window quantiles would mostly be empty, and only
	// histograms aggregate across hosts. Buckets span --diag-timeout's range.
	m.captureDur = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hsup_diagnostics_capture_seconds",
		Help:    "Time taken to capture one diagnostics bundle in seconds.",
		Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60},
	})
}

// initLabels makes every known series exist with value 0 from the start.
func (m *Metrics) initLabels() {
	for _, s := range States {
		m.state.WithLabelValues(s).Set(0)
	}
	m.state.WithLabelValues(initialState).Set(1)
	for _, r := range Reasons {
		m.restarts.WithLabelValues(r)
	}
	for _, p := range Probes {
		m.probeDur.WithLabelValues(p)
		for _, r := range ProbeResults {
			m.probes.WithLabelValues(p, r)
		}
	}
	for _, r := range BundleResults {
		m.bundles.WithLabelValues(r)
	}
}

// Registry returns the private registry, e.g. for extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// childUp reports whether a child process exists in the given state.
func childUp(state string) bool {
	switch state {
	case "starting", "running", "capturing", "stopping":
		return true
	}
	return false
}

// State records a state change of the supervisor and the child's pid (0 when
// none). It sets hsup_child_state and hsup_child_up.
func (m *Metrics) State(state string, pid int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap.knownStates[state] = true
	for s := range m.snap.knownStates {
		m.state.WithLabelValues(s).Set(0)
	}
	m.state.WithLabelValues(state).Set(1)
	m.snap.state, m.snap.pid = state, pid
	m.up.Set(boolFloat(childUp(state)))
}

// ChildStarted records a new child process. The heartbeat age restarts from
// unknown because the new process has its own counter.
func (m *Metrics) ChildStarted(pid int, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap.pid = pid
	m.snap.hbKnown = false
	m.startTime.Set(float64(at.UnixNano()) / 1e9)
	m.hbValue.Set(0)
	m.up.Set(1)
}

// ChildExited records the exit status of the child (128+N for signal N).
func (m *Metrics) ChildExited(code int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap.pid = 0
	m.exits.WithLabelValues(strconv.Itoa(code)).Inc()
	m.up.Set(0)
}

// Restart records a restart decided by hsup for the given reason.
func (m *Metrics) Restart(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap.restarts++
	m.snap.lastReason = reason
	m.restarts.WithLabelValues(reason).Inc()
}

// Backoff records the current wait before the next restart; 0 when none.
func (m *Metrics) Backoff(d time.Duration) { m.backoff.Set(d.Seconds()) }

// Probe records one health probe: probe is "cheap" or "deep", result one of
// ProbeResults, d its duration.
func (m *Metrics) Probe(probe, result string, d time.Duration) {
	m.probes.WithLabelValues(probe, result).Inc()
	m.probeDur.WithLabelValues(probe).Observe(d.Seconds())
}

// Heartbeat records the child's heartbeat counter and when it last advanced
// (as tracked by the health policy).
func (m *Metrics) Heartbeat(value float64, advancedAt time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap.hbKnown = true
	m.snap.hbAdvanced = advancedAt
	m.hbValue.Set(value)
}

// FDs records the child's open file descriptors and its real RLIMIT_NOFILE.
func (m *Metrics) FDs(open int, limit uint64) {
	m.openFDs.Set(float64(open))
	m.nofile.Set(float64(limit))
}

// Bundle records one diagnostics capture: result "ok", "partial" or
// "failed", d how long it took.
func (m *Metrics) Bundle(result string, d time.Duration) {
	m.bundles.WithLabelValues(result).Inc()
	m.captureDur.Observe(d.Seconds())
}

// heartbeatAge is evaluated at scrape time.
func (m *Metrics) heartbeatAge() float64 {
	age, ok := m.heartbeatAgeAt(m.opts.Now())
	if !ok {
		return 0
	}
	return age
}

// heartbeatAgeAt reports the heartbeat age at now, and false while no
// heartbeat has been seen for the current child.
func (m *Metrics) heartbeatAgeAt(now time.Time) (float64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.snap.hbKnown {
		return 0, false
	}
	return max(0, now.Sub(m.snap.hbAdvanced).Seconds()), true
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
