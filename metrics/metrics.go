package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Labels are the label values pre-initialised to 0, so that rate() and
// alerts work before the first event. They come from the packages that own
// them (supervise's states, the restart reasons of supervise, healthcheck
// and diagnose, ...); cmd/hsup gathers them.
type Labels struct {
	States        []string // hsup_child_state
	Reasons       []string // hsup_child_restarts_total
	Probes        []string // probe kinds of hsup_health_probes_total
	ProbeResults  []string // results of hsup_health_probes_total
	BundleResults []string // hsup_diagnostics_bundles_total
}

// Status is the supervisor's published status as the metrics read it, at
// scrape and /healthz time. Zero times mean unknown.
type Status struct {
	State             string
	Pid               int // 0 when no child process exists
	StartedAt         time.Time
	Restarts          int
	LastRestartReason string
	Backoff           time.Duration

	HeartbeatKnown      bool
	HeartbeatValue      float64
	HeartbeatAdvancedAt time.Time

	OpenFDs int // 0 until counted
	FDLimit uint64
}

// Options configures New. The zero value is usable: Now defaults to
// time.Now, Status to a child that does not exist yet, and /healthz?live=1
// answers 503 until Live is set.
type Options struct {
	// Now is the clock for hsup_heartbeat_age_seconds and /healthz.
	Now func() time.Time
	// Status returns the supervisor's current status; it must not block.
	Status func() Status
	// Labels are pre-initialised to 0.
	Labels Labels
	// Live round-trips a request through the supervisor's loop; nil means
	// hsup cannot vouch for its loop. It is called with a context bounded by
	// LiveTimeout.
	Live func(ctx context.Context) error
	// LiveTimeout bounds one Live call; 0 means 5s.
	LiveTimeout time.Duration
	// Page, when set, serves GET / on Handler's mux (the status page).
	Page http.Handler
	// Extra collectors (hooks, build info) registered with hsup's own.
	Extra []prometheus.Collector
	// Pprof mounts net/http/pprof under /debug/pprof/ on Handler's mux.
	Pprof bool
	// Dropped reads, per stream of hsup's own output ("stdout", "stderr"),
	// the bytes dropped because nobody read them.
	Dropped map[string]func() float64
}

// Metrics holds hsup's collectors. Gauges are read from Options.Status at
// scrape time; counters are fed by the supervisor's and the monitors'
// events. All methods are safe for concurrent use.
type Metrics struct {
	opts Options
	reg  *prometheus.Registry

	restarts, exits, probes, bundles *prometheus.CounterVec
	probeDur                         *prometheus.HistogramVec
	captureDur                       prometheus.Histogram
}

// New builds the collectors on a fresh registry with the Go and process
// collectors, and pre-initialises every label value in opts.Labels.
func New(opts Options) *Metrics {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Status == nil {
		opts.Status = func() Status { return Status{} }
	}
	if opts.LiveTimeout <= 0 {
		opts.LiveTimeout = 5 * time.Second
	}
	m := &Metrics{opts: opts, reg: prometheus.NewRegistry()}
	m.newCounters()
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newStateCollector(opts.Labels.States, m.status),
		m.restarts, m.exits, m.probes, m.bundles, m.probeDur, m.captureDur,
	)
	m.reg.MustRegister(m.gauges()...)
	m.reg.MustRegister(opts.Extra...)
	for stream, f := range opts.Dropped {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "hsup_output_dropped_bytes_total",
			Help:        "Bytes of hsup's own output (its log, the child's output it passes on) dropped because the reader went away or stalled.",
			ConstLabels: prometheus.Labels{"stream": stream},
		}, f))
	}
	m.initLabels()
	return m
}

func (m *Metrics) status() Status { return m.opts.Status() }

// gauges are functions of the published status, evaluated at scrape time.
func (m *Metrics) gauges() []prometheus.Collector {
	g := func(name, help string, f func(Status) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(m.status()) })
	}
	return []prometheus.Collector{
		g("hsup_child_up", "1 while a child process runs, 0 otherwise.",
			func(s Status) float64 { return boolFloat(s.Pid != 0) }),
		g("hsup_child_start_time_seconds", "Start time of the current child since the Unix epoch in seconds.",
			func(s Status) float64 { return unixSeconds(s.StartedAt) }),
		g("hsup_heartbeat_value", "Last value of the child's heartbeat counter (accepted connections).",
			func(s Status) float64 { return s.HeartbeatValue }),
		g("hsup_heartbeat_age_seconds", "Seconds since the child's heartbeat counter last advanced (0 until one is seen).",
			func(s Status) float64 { age, _ := heartbeatAge(s, m.opts.Now()); return age }),
		g("hsup_child_open_fds", "Number of open file descriptors of the child.",
			func(s Status) float64 { return float64(s.OpenFDs) }),
		g("hsup_child_nofile_limit", "RLIMIT_NOFILE soft limit the child really runs with.",
			func(s Status) float64 { return float64(s.FDLimit) }),
		g("hsup_backoff_seconds", "Current wait before the next restart in seconds, 0 when none.",
			func(s Status) float64 { return s.Backoff.Seconds() }),
	}
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
	l := m.opts.Labels
	for _, r := range l.Reasons {
		m.restarts.WithLabelValues(r)
	}
	for _, p := range l.Probes {
		m.probeDur.WithLabelValues(p)
		for _, r := range l.ProbeResults {
			m.probes.WithLabelValues(p, r)
		}
	}
	for _, r := range l.BundleResults {
		m.bundles.WithLabelValues(r)
	}
}

// Registry returns the private registry, e.g. for extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ChildExited counts one exit status of a child (128+N for signal N), or
// the code of a start that failed.
func (m *Metrics) ChildExited(code int) { m.exits.WithLabelValues(strconv.Itoa(code)).Inc() }

// Restart counts a restart decided by hsup for the given reason.
func (m *Metrics) Restart(reason string) { m.restarts.WithLabelValues(reason).Inc() }

// Probe records one health probe: probe is "cheap" or "deep", result its
// class, d its duration.
func (m *Metrics) Probe(probe, result string, d time.Duration) {
	m.probes.WithLabelValues(probe, result).Inc()
	m.probeDur.WithLabelValues(probe).Observe(d.Seconds())
}

// Bundle records one diagnostics capture: result "ok", "partial" or
// "failed", d how long it took.
func (m *Metrics) Bundle(result string, d time.Duration) {
	m.bundles.WithLabelValues(result).Inc()
	m.captureDur.Observe(d.Seconds())
}

// heartbeatAge is the heartbeat's age at now, and false while none has
// been seen for the current child.
func heartbeatAge(s Status, now time.Time) (float64, bool) {
	if !s.HeartbeatKnown {
		return 0, false
	}
	return max(0, now.Sub(s.HeartbeatAdvancedAt).Seconds()), true
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
