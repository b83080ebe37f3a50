package control

import "time"

// Schema is the version of Status's JSON; it changes only when a field
// changes meaning or goes away (new fields may be added).
const Schema = 1

// Status is what GET /status answers: the supervisor's published status
// and hsup's own facts. Times are RFC 3339; durations are whole
// milliseconds in fields ending in _ms. A value that is not known is left
// out (no zero times).
type Status struct {
	Schema int       `json:"schema"`
	Name   string    `json:"name"`
	Now    time.Time `json:"now"` // when the status was read
	Hsup   Hsup      `json:"hsup"`
	// State is the child's: starting, running, capturing, stopping,
	// backoff, stopped.
	State string `json:"state"`
	Child *Child `json:"child,omitempty"` // nil while no child process exists
	// Restarts is how many restarts hsup decided since it started.
	Restarts    int      `json:"restarts"`
	LastRestart *Verdict `json:"last_restart,omitempty"` // its reason and sentence
	// LastExitCode is the last child's exit status, nil before any exit.
	LastExitCode *int     `json:"last_exit_code,omitempty"`
	Backoff      *Backoff `json:"backoff,omitempty"`     // nil unless a restart is waiting
	LastBundle   string   `json:"last_bundle,omitempty"` // directory of the last bundle written
	// Verdict is the current child's degraded verdict, nil while it is not
	// degraded.
	Verdict   *Verdict   `json:"verdict,omitempty"`
	Probes    *Probes    `json:"probes,omitempty"`    // nil when probing is off
	Heartbeat *Heartbeat `json:"heartbeat,omitempty"` // nil while the heartbeat is not known
	FDs       *FDs       `json:"fds,omitempty"`       // nil while the child's open FDs are not known
	Shutdown  bool       `json:"shutdown,omitempty"`  // hsup is stopping for good
}

// Hsup is the supervising hsup itself.
type Hsup struct {
	Pid      int       `json:"pid"`
	Version  string    `json:"version"`
	Started  time.Time `json:"started"`
	UptimeMS int64     `json:"uptime_ms"`
}

// Child is the current child process.
type Child struct {
	Pid          int       `json:"pid"`
	Pgid         int       `json:"pgid,omitempty"`
	Started      time.Time `json:"started,omitzero"`
	RunningSince time.Time `json:"running_since,omitzero"` // first proved healthy
	UptimeMS     int64     `json:"uptime_ms"`              // since Started
}

// Verdict is a reason (health, deep, heartbeat, busy, startup,
// fd_pressure, exit, manual, ...) and its sentence.
type Verdict struct {
	Reason   string `json:"reason"`
	Sentence string `json:"sentence,omitempty"`
}

// Backoff is a restart waiting for its delay.
type Backoff struct {
	DelayMS     int64     `json:"delay_ms"`
	Until       time.Time `json:"until,omitzero"`
	RemainingMS int64     `json:"remaining_ms"`
}

// Probes are the health probes of the current (or last) child.
type Probes struct {
	Failures int    `json:"failures"` // consecutive failed cheap probes
	Cheap    *Probe `json:"cheap,omitempty"`
	Deep     *Probe `json:"deep,omitempty"`
}

// Probe is the last answer of one probe.
type Probe struct {
	Result    string    `json:"result"`           // ok, timeout, refused, degraded, busy, ...
	Status    int       `json:"status,omitempty"` // HTTP status, absent without an HTTP answer
	LatencyMS float64   `json:"latency_ms"`
	At        time.Time `json:"at,omitzero"`
	Detail    string    `json:"detail,omitempty"`
}

// Heartbeat is the child's accept counter and when it last advanced.
type Heartbeat struct {
	Value      float64   `json:"value"`
	AdvancedAt time.Time `json:"advanced_at,omitzero"`
	AgeMS      int64     `json:"age_ms"` // since AdvancedAt
}

// FDs are the child's open descriptors against its soft limit, and their
// trend: one sample a minute over the last hour, oldest first.
type FDs struct {
	Open  int        `json:"open"`
	Limit uint64     `json:"limit,omitempty"`
	Trend []FDSample `json:"trend,omitempty"`
}

// FDSample is one reading of the child's open descriptors.
type FDSample struct {
	At   time.Time `json:"at"`
	Open int       `json:"open"`
}

// Reply is the answer to POST /restart and POST /capture.
type Reply struct {
	Message string `json:"message,omitempty"` // what was done
	Bundle  string `json:"bundle,omitempty"`  // /capture: the bundle's directory
	Error   string `json:"error,omitempty"`   // why not
}
