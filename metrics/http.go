package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Health is the JSON body of /healthz.
type Health struct {
	State             string `json:"state"`
	PID               int    `json:"pid"`
	Restarts          int    `json:"restarts"`
	LastRestartReason string `json:"last_restart_reason"`
	// HeartbeatAgeSeconds is null while no heartbeat has been seen for the
	// current child (or heartbeat checking is off).
	HeartbeatAgeSeconds *float64 `json:"heartbeat_age_seconds"`
}

// Liveness is the JSON body of /healthz?live=1.
type Liveness struct {
	Live  bool   `json:"live"`
	Error string `json:"error,omitempty"`
}

// errNoLive is reported when Options.Live was not given: hsup cannot vouch
// for its loop, so it says so rather than answering 200 blindly.
var errNoLive = errors.New("no liveness check configured (Options.Live is nil)")

// Handler returns the mux for the metrics listener: /metrics, /healthz and,
// with Options.Pprof, /debug/pprof/. It never touches http.DefaultServeMux.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	// Uncompressed: the scrape is a few tens of KB over loopback, and a
	// gzip writer is hundreds of KB of tables that a scrape every 15 s
	// allocated afresh (the GC empties promhttp's pool between scrapes):
	// most of what hsup allocated at idle.
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{DisableCompression: true}))
	mux.HandleFunc("/healthz", m.serveHealthz)
	if m.opts.Page != nil {
		mux.Handle("GET /{$}", m.opts.Page)
	}
	if m.opts.Pprof {
		mountPprof(mux) // pprof.go; nothing in a build without it
	}
	return mux
}

// Health returns what /healthz reports at now, and whether that is healthy
// (the child is "running").
func (m *Metrics) Health(now time.Time) (Health, bool) {
	st := m.status()
	h := Health{State: st.State, PID: st.Pid, Restarts: st.Restarts, LastRestartReason: st.LastRestartReason}
	if age, ok := heartbeatAge(st, now); ok {
		h.HeartbeatAgeSeconds = &age
	}
	return h, h.State == "running"
}

func (m *Metrics) serveHealthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if isTrue(r.URL.Query().Get("live")) {
		err := m.checkLive(r.Context())
		writeJSON(w, statusFor(err == nil), liveness(err))
		return
	}
	h, healthy := m.Health(m.opts.Now())
	writeJSON(w, statusFor(healthy), h)
}

// checkLive calls Options.Live bounded by LiveTimeout.
func (m *Metrics) checkLive(ctx context.Context) error {
	if m.opts.Live == nil {
		return errNoLive
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.LiveTimeout)
	defer cancel()
	return m.opts.Live(ctx)
}

func liveness(err error) Liveness {
	if err != nil {
		return Liveness{Live: false, Error: err.Error()}
	}
	return Liveness{Live: true}
}

func statusFor(ok bool) int {
	if ok {
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	// The status line is already out; an encoding error can only be a
	// broken connection, which the client notices by itself.
	_ = json.NewEncoder(w).Encode(v)
}

// isTrue accepts the spellings the WebUI accepts for its deep flag.
func isTrue(s string) bool {
	switch s {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
