package diagnose

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Facts is what hsup knows at capture time that the collectors cannot
// read from the child: why the bundle is captured, the restart streak it
// belongs to, how it was started and what its probes last saw.
// Config.Facts returns it; every field may be empty.
type Facts struct {
	// Restart: a restart follows this bundle (false for a warning bundle:
	// FD pressure, or an operator's capture; the child keeps running).
	Restart bool
	// Verdict is the degraded verdict that led to the capture.
	Verdict *Verdict
	// Streak names the run of restarts without a healthy run of
	// --backoff-reset between them that this bundle's restart belongs to;
	// "" when no restart follows. Retention keeps the first bundle of
	// every streak among the newest (see retention).
	Streak  string
	Argv    []string         // the child's command line
	Probes  map[string]Probe // the last probe of each kind ("cheap", "deep")
	History []ProbeRecord    // recent probes, oldest first
}

// Verdict is a degraded verdict: its reason and its sentence.
type Verdict struct {
	Reason   string `json:"reason"`
	Sentence string `json:"sentence,omitempty"`
}

// Probe is the last probe of one kind and what came back: summary.json's
// probes, and the content of probe-<kind>.txt.
type Probe struct {
	URL    string    `json:"url,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Result string    `json:"result"`
	Detail string    `json:"detail,omitempty"`
	MS     float64   `json:"ms"`
	Status int       `json:"status"` // HTTP status, 0 when there was no HTTP answer
	// Header, Body and BodyComplete are the answer's, when there was one:
	// a few headers, the body as far as the probe read it (bounded), and
	// whether that is the whole body.
	Header       map[string]string `json:"headers,omitempty"`
	Body         string            `json:"body,omitempty"`
	BodyComplete bool              `json:"body_complete"`
	File         string            `json:"file,omitempty"` // the bundle's probe-<kind>.txt
}

// ProbeRecord is one probe of the history.
type ProbeRecord struct {
	Kind   string    `json:"kind"`
	At     time.Time `json:"at,omitzero"`
	Result string    `json:"result"`
	Status int       `json:"status"`
	MS     float64   `json:"ms"`
}

// Check is one of the app's readiness checks that did not pass, from the
// deep probe's body.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// LedgerRef points at the ledger line of the capture.
type LedgerRef struct {
	File string `json:"file"`
	Seq  int64  `json:"seq"`
}

// failingChecks reads the WebUI's readiness checks from a deep probe's
// body, {"checks": {"NAME": {"status": ..., "error": ...}, ...}}, and
// returns those whose status is neither "ok" nor "missing" (the WebUI's
// contract counts both as healthy), sorted by name. A body that is not
// such JSON (cut, or another app's) has none.
func failingChecks(body []byte) []Check {
	var doc struct {
		Checks map[string]json.RawMessage `json:"checks"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return nil
	}
	var out []Check
	for name, raw := range doc.Checks {
		var c struct {
			Status json.RawMessage `json:"status"`
			Error  json.RawMessage `json:"error"`
		}
		if json.Unmarshal(raw, &c) != nil {
			continue
		}
		status := jsonText(c.Status)
		if status == "ok" || status == "missing" {
			continue
		}
		out = append(out, Check{Name: name, Status: status, Error: jsonText(c.Error)})
	}
	slices.SortFunc(out, func(a, b Check) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// jsonText is a JSON value as text: a string unquoted, null or nothing as
// "", anything else verbatim (shortened).
func jsonText(raw json.RawMessage) string {
	var s string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return ""
	case json.Unmarshal(raw, &s) == nil:
		return s
	case len(raw) > 200:
		return string(raw[:200]) + "..."
	}
	return string(raw)
}

// probeFile is the content of probe-<kind>.txt: what was asked, what came
// back, and the body as read.
func probeFile(kind string, p Probe) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s probe: GET %s\n", kind, p.URL)
	if !p.At.IsZero() {
		fmt.Fprintf(&b, "at %s, took %s ms\n", p.At.UTC().Format(timeFormat), strconv.FormatFloat(p.MS, 'f', -1, 64))
	}
	fmt.Fprintf(&b, "result %s", p.Result)
	if p.Detail != "" {
		fmt.Fprintf(&b, ": %s", p.Detail)
	}
	b.WriteByte('\n')
	if p.Status == 0 {
		b.WriteString("no HTTP answer\n")
		return b.Bytes()
	}
	fmt.Fprintf(&b, "\nHTTP %d\n", p.Status)
	for _, k := range slices.Sorted(maps.Keys(p.Header)) {
		fmt.Fprintf(&b, "%s: %s\n", k, p.Header[k])
	}
	b.WriteByte('\n')
	b.WriteString(p.Body)
	if !p.BodyComplete {
		fmt.Fprintf(&b, "\n[the probe read %d bytes of the body; it may go on]\n", len(p.Body))
	}
	return b.Bytes()
}

// timeFormat is how bundles write times: RFC 3339, UTC, milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"
