package main

import (
	"fmt"
	"io"
	"time"
)

// loadSettle is how long bench keeps watching hsup's log after the load:
// a queue stuck at the load's end would be reported within --accept-stall
// plus one slow sample.
const loadSettle = defAcceptStall + sampleSlow + time.Second

// LoadRow is one child under the load part's clients: what they got, what
// bench saw of the child's accept queue meanwhile, and what hsup did.
type LoadRow struct {
	Name     string  `json:"name"`
	Child    string  `json:"child"`
	Skipped  string  `json:"skipped,omitempty"`
	Clients  int     `json:"clients"`
	Seconds  float64 `json:"seconds"`
	WorkMS   float64 `json:"work_ms"`
	Served   int64   `json:"served"`
	Failed   int64   `json:"failed"`
	Samples  int     `json:"queue_samples"`
	Waiting  int     `json:"queue_nonempty_samples"`
	Longest  int     `json:"queue_longest"`
	Backlog  int     `json:"backlog"`
	Restarts int     `json:"restarts"`      // "child capturing" lines while and after the load
	Stalls   int     `json:"stalls"`        // "accept queue stalled" lines
	Failures int     `json:"probe_changes"` // "probe result changed" to a failure
	Flags    string  `json:"flags"`
}

func printLoad(w io.Writer, rows []LoadRow) {
	fmt.Fprintf(w, "## False positives under load: slow requests, hsup at its defaults with the watch on\n\n")
	fmt.Fprintf(w, "Each client GETs /slow (the handler works %.0f ms) on a fresh connection, again and again. Bench samples the\n"+
		"child's accept queue itself every 100 ms, as the watch does once connections wait. Restarts and stalls count hsup's\n"+
		"\"child capturing\" and \"accept queue stalled\" lines from \"child running\" to %v after the load.\n\n", rows[0].WorkMS, loadSettle)
	fmt.Fprintf(w, "| child | clients x s | served | failed | queue non-empty | longest queue (backlog) | probe failures | stalls | restarts |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		if r.Skipped != "" {
			fmt.Fprintf(w, "| %s | | | | | | | | %s |\n", r.Name, r.Skipped)
			continue
		}
		pct := 0.0
		if r.Samples > 0 {
			pct = 100 * float64(r.Waiting) / float64(r.Samples)
		}
		fmt.Fprintf(w, "| %s | %d x %.0f | %d | %d | %.0f%% of %d | %d (%d) | %d | %d | %d |\n", r.Name, r.Clients, r.Seconds,
			r.Served, r.Failed, pct, r.Samples, r.Longest, r.Backlog, r.Failures, r.Stalls, r.Restarts)
	}
	fmt.Fprintf(w, "\nhsup run at its defaults but --health-url (the child's port), --metrics-addr= (off), --log-format=json and --diag-dir.\n\n")
}

// countVerdicts counts restarts ("child capturing"), stalls and probes
// that turned to a failure in lines.
func countVerdicts(lines []logLine) (restarts, stalls, failures int) {
	for _, l := range lines {
		switch {
		case l.msg() == "child capturing":
			restarts++
		case l.msg() == "accept queue stalled":
			stalls++
		case l.msg() == "probe result changed" && l.str("result") != "ok":
			failures++
		}
	}
	return restarts, stalls, failures
}

// sinceRunning is lines from the first "child running" on: before it, a
// probe refused while the child starts up is no failure.
func sinceRunning(lines []logLine) []logLine {
	for i, l := range lines {
		if l.msg() == "child running" {
			return lines[i:]
		}
	}
	return nil
}
