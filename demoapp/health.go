package demoapp

import (
	"encoding/json"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// healthReport is the body of GET /health, field for field in the WebUI's
// order. Checks is only present for a deep probe.
type healthReport struct {
	Status            string      `json:"status"`
	Sessions          int         `json:"sessions"`
	ActiveStreams     int         `json:"active_streams"`
	ActiveRuns        int         `json:"active_runs"`
	Runs              []struct{}  `json:"runs"`
	LastRunFinishedAt *float64    `json:"last_run_finished_at"`
	ServerStartedAt   float64     `json:"server_started_at"`
	UptimeSeconds     float64     `json:"uptime_seconds"`
	PID               int         `json:"pid"`
	AcceptLoop        acceptLoop  `json:"accept_loop"`
	Checks            *deepChecks `json:"checks,omitempty"`
}

type acceptLoop struct {
	RequestsTotal int64    `json:"requests_total"`
	LastRequestAt *float64 `json:"last_request_at"` // null before the first accept
}

// deepChecks are the WebUI's readiness checks under "checks".
type deepChecks struct {
	StreamsLock   check `json:"streams_lock"`
	StreamRuntime check `json:"stream_runtime"`
	Sessions      check `json:"sessions"`
	Projects      check `json:"projects"`
	StateDB       check `json:"state_db"`
}

type check struct {
	Status string  `json:"status"`
	Error  string  `json:"error,omitempty"`
	MS     float64 `json:"ms"`
}

// cheapReport is the pure body of a cheap probe at now.
func cheapReport(started, now time.Time, pid int, st acceptStats) healthReport {
	loop := acceptLoop{RequestsTotal: st.Total}
	if !st.Last.IsZero() {
		last := epoch(st.Last)
		loop.LastRequestAt = &last
	}
	return healthReport{
		Status:          "ok",
		Runs:            []struct{}{},
		ServerStartedAt: epoch(started),
		UptimeSeconds:   round3(now.Sub(started).Seconds()),
		PID:             pid,
		AcceptLoop:      loop,
	}
}

// withDeep adds the deep checks to r. stateDBErr is the result of really
// opening state.db, which took stateDBTook. The deep switch makes state_db
// fail the way sqlite3 does when the database is wedged.
func withDeep(r healthReport, deepSwitch bool, stateDBErr error, stateDBTook time.Duration) healthReport {
	ok := check{Status: "ok"}
	db := check{Status: "ok", MS: round3(float64(stateDBTook) / float64(time.Millisecond))}
	if deepSwitch || stateDBErr != nil {
		db.Status, db.Error = "error", "OperationalError"
		r.Status = "degraded"
	}
	r.Checks = &deepChecks{StreamsLock: ok, StreamRuntime: ok, Sessions: ok, Projects: ok, StateDB: db}
	return r
}

// statusCode is the HTTP status for a report: 503 unless it is ok.
func statusCode(r healthReport) int {
	if r.Status == "ok" {
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

// isDeep reports whether the deep query value asks for a deep probe,
// with the WebUI's spellings.
func isDeep(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// epoch is t as Unix seconds with millisecond precision.
func epoch(t time.Time) float64 {
	return round3(float64(t.UnixNano()) / 1e9)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// handleHealth serves /health. Only GET is served; HEAD answers 501 like
// Python's BaseHTTPRequestHandler without do_HEAD.
func (a *app) handleHealth(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodHead:
		http.Error(w, "Unsupported method ('HEAD')", http.StatusNotImplemented)
		return
	default:
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "only GET is served for /health", http.StatusMethodNotAllowed)
		return
	}
	sw, st, _ := a.state.snapshot()
	report := cheapReport(a.started, a.now(), a.pid, st)
	if isDeep(r.URL.Query().Get("deep")) {
		took, err := a.openStateDB()
		report = withDeep(report, sw.Deep, err, took)
	}
	writeJSON(w, statusCode(report), report)
}

// openStateDB really opens and closes state.db, as the WebUI's check does,
// and returns how long that took.
func (a *app) openStateDB() (time.Duration, error) {
	start := time.Now()
	f, err := os.Open(a.dbPath)
	if err == nil {
		err = f.Close()
	}
	return time.Since(start), err
}

// writeJSON writes v as one line of JSON with an exact Content-Length.
func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body) // the client went away: nothing to do
}
