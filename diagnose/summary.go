package diagnose

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hsup/hsup/fdlimit"
)

// Summary is the content of summary.json. Unknown numbers are null.
type Summary struct {
	Reason        string            `json:"reason"`
	PID           int               `json:"pid"`
	CapturedAt    string            `json:"captured_at"` // RFC 3339, UTC, milliseconds
	UptimeSeconds *float64          `json:"uptime_seconds"`
	NofileSoft    *uint64           `json:"nofile_soft"`   // math.MaxUint64 = unlimited
	NofileSource  fdlimit.Source    `json:"nofile_source"` // "child", "set_by_hsup", "inherited" or "" (unknown)
	OpenFDs       *int              `json:"open_fds"`
	Threads       *int              `json:"threads"`
	FDSource      string            `json:"fd_source"` // "lsof", "proc" or "" (none)
	TopFiles      []FileCount       `json:"top_files"`
	Health        json.RawMessage   `json:"health"`
	Collectors    map[string]Result `json:"collectors"`
}

// summary assembles summary.json from what the collectors found. With no
// usable lsof listing it falls back to /proc and writes fds.txt.
func (r *run) summary(now time.Time, reason string, childStart time.Time, health []byte, results map[string]Result) []byte {
	s := Summary{
		Reason: reason, PID: r.pid, Health: health, Collectors: results, TopFiles: []FileCount{},
		CapturedAt: now.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
	}
	if !childStart.IsZero() {
		up := now.Sub(childStart).Seconds()
		s.UptimeSeconds = &up
	}
	s.NofileSoft, s.NofileSource = r.nofileSoft(results["limits"].OK)
	if results["threads"].OK && r.threads > 0 {
		s.Threads = &r.threads
	}
	var entries []fdEntry
	switch {
	case results["lsof"].OK:
		s.FDSource, entries = "lsof", r.lsofFDs
	case results["proc_fds"].OK:
		s.FDSource, entries = "proc", procEntries(r.procFDs)
		if err := r.b.write("fds.txt", formatFDs(r.procFDs)); err != nil {
			res := results["proc_fds"]
			res.OK, res.Error = false, err.Error()
			results["proc_fds"] = res
		}
	}
	if s.FDSource != "" {
		n := len(entries)
		s.OpenFDs = &n
		s.TopFiles = topFiles(entries, topFilesN)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil { // cannot happen: every field is marshalable
		return []byte(fmt.Sprintf("{\"error\": %q}\n", err.Error()))
	}
	return append(b, '\n')
}

// nofileSoft is the soft RLIMIT_NOFILE for the summary and its source:
// the child's own when the limits collector read it (Linux), else the
// one hsup knows the child started with (Config.Nofile), else none.
func (r *run) nofileSoft(limitsOK bool) (*uint64, fdlimit.Source) {
	switch {
	case limitsOK && r.hasLimit:
		n := r.nofile
		return &n, fdlimit.SourceChild
	case r.cfg.Nofile > 0:
		n := r.cfg.Nofile
		return &n, r.cfg.NofileSource
	}
	return nil, ""
}

// marshalHealth keeps a snapshot that does not marshal from costing the
// whole summary.
func marshalHealth(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": "health snapshot not JSON-marshalable: " + err.Error()})
	}
	return b
}
