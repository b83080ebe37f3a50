package hooks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The events a hook is run for (Event.Event, HSUP_EVENT).
const (
	Degraded  = "degraded"   // a monitor judged the child degraded; its bundle, if any, is written
	Restarted = "restarted"  // a replacement child was started
	Recovered = "recovered"  // a child started after trouble proved healthy: the service serves again
	CrashLoop = "crash_loop" // --crash-loop restarts in a row without a healthy run
	GaveUp    = "gave_up"    // --give-up-after such restarts: hsup exits 69
)

// Names are the events, in the order a story of trouble tells them.
func Names() []string { return []string{Degraded, Restarted, Recovered, CrashLoop, GaveUp} }

// Event is what a hook gets: the JSON object on its standard input, and
// the same facts in its environment (Env). A field that is not known is
// absent from the JSON, never a zero value: Pid, Bundle and Code are
// omitted when there is none.
type Event struct {
	Event    string `json:"event"`            // one of Names
	Name     string `json:"name"`             // the service (--name)
	Reason   string `json:"reason"`           // health, deep, heartbeat, busy, startup, fd_pressure, port_held, exit, manual, hsup_error
	Sentence string `json:"sentence"`         // one line an operator reads: the verdict's sentence, or what hsup saw
	Pid      int    `json:"pid,omitempty"`    // degraded: the judged child; restarted, recovered: the new one; crash_loop, gave_up: the last one
	Bundle   string `json:"bundle,omitempty"` // the diagnostics bundle of this trouble, when one was written
	// Restarts: degraded, restarted, recovered: restarts hsup decided
	// since it started (the one that started this child included);
	// crash_loop, gave_up: restarts in a row without a healthy run.
	Restarts int       `json:"restarts"`
	Code     *int      `json:"code,omitempty"` // the last child's exit status (128+N for signal N), when one exited
	Time     time.Time `json:"time"`           // when hsup saw it (RFC 3339)
}

// Payload is the event as the one line of JSON a hook reads on stdin.
func (e Event) Payload() []byte {
	b, err := json.Marshal(e)
	if err != nil { // only strings, ints and a time: cannot fail
		panic(fmt.Sprintf("hooks: marshal event: %v", err))
	}
	return append(b, '\n')
}

// envNames are the variables Env sets; Environ drops inherited ones.
var envNames = []string{"HSUP_EVENT", "HSUP_NAME", "HSUP_REASON", "HSUP_BUNDLE"}

// Env is the hook's environment: base (see Environ) plus HSUP_EVENT,
// HSUP_NAME, HSUP_REASON and HSUP_BUNDLE, each always set ("" when not
// known), so a script under `set -u` can read them.
func (e Event) Env(base []string) []string {
	out := make([]string, 0, len(base)+len(envNames))
	out = append(out, base...)
	return append(out, "HSUP_EVENT="+e.Event, "HSUP_NAME="+e.Name, "HSUP_REASON="+e.Reason, "HSUP_BUNDLE="+e.Bundle)
}

// Environ is hsup's environment as a hook inherits it: without the
// sd_notify variables (they address hsup; a hook that used them would
// speak for it) and without HSUP_EVENT, HSUP_NAME, HSUP_REASON and
// HSUP_BUNDLE, which Env sets for each run.
func Environ(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if k == "NOTIFY_SOCKET" || strings.HasPrefix(k, "WATCHDOG_") || slices.Contains(envNames, k) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// sentence is what an operator reads about a cause: the verdict's own
// sentence when there is one, else what hsup can say from the reason and
// the exit status.
func sentence(reason, detail string, code int, codeKnown bool) string {
	switch {
	case detail != "":
		return detail
	case reason == "exit" && codeKnown && code > 128:
		return fmt.Sprintf("the child was killed by signal %d (status %d)", code-128, code)
	case reason == "exit" && codeKnown:
		return fmt.Sprintf("the child exited with status %d", code)
	case reason == "exit":
		return "the child exited"
	case reason == "":
		return "no reason was given"
	}
	return "the child was judged degraded (" + reason + ")"
}
