package diagnose

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hsup/hsup/fdlimit"
)

// Summary is the content of summary.json. Unknown numbers are null;
// unknown strings, lists and times are left out.
type Summary struct {
	Service     string   `json:"service,omitempty"`
	HsupVersion string   `json:"hsup_version,omitempty"`
	Argv        []string `json:"argv,omitempty"`
	Reason      string   `json:"reason"`
	// Cause is one sentence: the verdict's, the failing deep checks, and a
	// file that holds most descriptors (see cause).
	Cause   string   `json:"cause"`
	Restart *bool    `json:"restart,omitempty"` // a restart followed; false for a warning bundle
	Verdict *Verdict `json:"verdict,omitempty"`
	Streak  string   `json:"streak,omitempty"`

	PID           int            `json:"pid"`
	CapturedAt    string         `json:"captured_at"` // RFC 3339, UTC, milliseconds
	UptimeSeconds *float64       `json:"uptime_seconds"`
	NofileSoft    *uint64        `json:"nofile_soft"`   // math.MaxUint64 = unlimited
	NofileSource  fdlimit.Source `json:"nofile_source"` // "child", "set_by_hsup", "inherited" or "" (unknown)
	OpenFDs       *int           `json:"open_fds"`
	Threads       *int           `json:"threads"`
	ThreadStates  []ThreadState  `json:"thread_states,omitempty"` // Linux
	FDSource      string         `json:"fd_source"`               // "lsof", "proc" or "" (none)
	TopFiles      []FileCount    `json:"top_files"`

	FailingChecks []Check          `json:"failing_checks,omitempty"` // from the last deep probe's body
	Probes        map[string]Probe `json:"probes,omitempty"`         // the last probe of each kind
	ProbeHistory  []ProbeRecord    `json:"probe_history,omitempty"`  // oldest first
	Ledger        *LedgerRef       `json:"ledger,omitempty"`

	// Wedge names the kind of wedge the evidence shows (see classifyWedge).
	Wedge *Wedge `json:"wedge,omitempty"`

	Health     json.RawMessage   `json:"health"`
	Collectors map[string]Result `json:"collectors"`
}

// ThreadState counts the child's threads in one state and wait channel.
type ThreadState struct {
	State string `json:"state"`
	Wchan string `json:"wchan"`
	Count int    `json:"count"`
}

// summary is summaryWith without CPU readings or an accept-queue sample.
func (r *run) summary(now time.Time, reason string, childStart time.Time, health []byte, results map[string]Result) []byte {
	b, _ := r.summaryWith(now, reason, childStart, health, results, wedgeInput{})
	return b
}

// wedgeInput is what the wedge is judged on beyond the summary: the
// thread_cpu collector's readings and the accept-queue sample (nil: none).
type wedgeInput struct {
	cpu   cpuEvidence
	queue *AcceptQueue
}

// summaryWith assembles summary.json from what the collectors found and
// the facts hsup gave, and returns the wedge too. With no usable lsof
// listing it falls back to /proc and writes fds.txt.
func (r *run) summaryWith(now time.Time, reason string, childStart time.Time, health []byte, results map[string]Result,
	in wedgeInput) ([]byte, *Wedge) {
	s := Summary{
		Service: r.cfg.Service, HsupVersion: r.cfg.Version, Argv: r.facts.Argv,
		Reason: reason, Verdict: r.facts.Verdict, Streak: r.facts.Streak,
		PID: r.pid, Health: health, Collectors: results, TopFiles: []FileCount{},
		CapturedAt: now.UTC().Format(timeFormat), Ledger: r.ledger,
		Probes: r.probes, ProbeHistory: r.facts.History,
	}
	if r.cfg.Facts != nil {
		s.Restart = &r.facts.Restart
	}
	if !childStart.IsZero() {
		up := now.Sub(childStart).Seconds()
		s.UptimeSeconds = &up
	}
	if deep, ok := r.probes["deep"]; ok {
		s.FailingChecks = failingChecks([]byte(deep.Body))
	}
	s.NofileSoft, s.NofileSource = r.nofileSoft(results["limits"].OK)
	if results["threads"].OK && r.threads > 0 {
		s.Threads = &r.threads
		s.ThreadStates = r.threadStates
	}
	r.fdSummary(&s, results)
	s.Cause = cause(s)
	s.Wedge = r.wedge(s, reason, in)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil { // cannot happen: every field is marshalable
		return []byte(fmt.Sprintf("{\"error\": %q}\n", err.Error())), s.Wedge
	}
	return append(b, '\n'), s.Wedge
}

// wedge gathers the evidence for the wedge from the summary so far, the
// CPU readings, the accept-queue sample and the probes, and classifies it.
func (r *run) wedge(s Summary, reason string, in wedgeInput) *Wedge {
	ev := WedgeEvidence{
		OpenFDs: s.OpenFDs, FDLimit: s.NofileSoft, FDLimitSource: s.NofileSource,
		AcceptQueue: in.queue, Verdict: reason, Probes: probeRun(r.facts.History, r.probes),
	}
	if s.Verdict != nil && s.Verdict.Reason != "" {
		ev.Verdict = s.Verdict.Reason
	}
	if len(s.TopFiles) > 0 {
		top := s.TopFiles[0]
		ev.TopFile = &top
	}
	in.cpu.fill(&ev, r.pid)
	w := classifyWedge(ev)
	return &w
}

// fdSummary fills the descriptor count and top_files from lsof, else from
// /proc (then writing fds.txt).
func (r *run) fdSummary(s *Summary, results map[string]Result) {
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

// countStates groups threads by state and wait channel, largest group
// first (then by state and channel), for summary.json's thread_states.
func countStates(threads []ThreadState) []ThreadState {
	counts := map[ThreadState]int{}
	for _, t := range threads {
		counts[ThreadState{State: t.State, Wchan: t.Wchan}] += max(t.Count, 1)
	}
	out := make([]ThreadState, 0, len(counts))
	for k, n := range counts {
		k.Count = n
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b ThreadState) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.State, b.State), strings.Compare(a.Wchan, b.Wchan))
	})
	return out
}
