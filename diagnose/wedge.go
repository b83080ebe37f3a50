package diagnose

import (
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hsup/hsup/fdlimit"
)

// The kinds of wedge summary.json's wedge names. Several may hold at once;
// wedgeOrder ranks them cause before symptom.
const (
	WedgeStopped     = "stopped"      // the child, or its main thread, in state T
	WedgeFDExhausted = "fd_exhausted" // open descriptors within fdHeadroom of the soft limit
	WedgeBlocked     = "blocked"      // every thread asleep, no CPU, connections waiting or probes unanswered: a deadlock
	WedgeCPUSpin     = "cpu_spin"     // more than half a core while answering nothing
	WedgeAcceptStall = "accept_stall" // the accept queue stuck
	WedgeSlow        = "slow"         // answering, but past the probe timeout
	WedgeUnknown     = "unknown"      // none of the above shows in the evidence
)

// wedgeOrder is the precedence of the kinds: a cause before the symptoms
// it explains (out of descriptors explains the spin, the spin or the
// deadlock explains the stuck queue), so the first that holds is Kind.
var wedgeOrder = []string{WedgeStopped, WedgeFDExhausted, WedgeBlocked, WedgeCPUSpin, WedgeAcceptStall, WedgeSlow}

// WedgeKinds lists every kind, in precedence order, unknown last.
func WedgeKinds() []string { return append(slices.Clone(wedgeOrder), WedgeUnknown) }

// Thresholds of the classifier.
const (
	fdHeadroom  = 2    // fd_exhausted: open >= limit - fdHeadroom
	spinCores   = 0.5  // cpu_spin: more than this many cores over the window
	idleCores   = 0.05 // blocked: at most this many cores
	minWindowS  = 0.1  // a shorter CPU window says nothing about CPU
	wedgeThread = 16   // threads listed in the evidence, busiest first
)

// Wedge is summary.json's wedge: which kind of wedge the evidence shows.
// Kind is the one label (for the log, a list column, a metric); Kinds
// keeps every kind that holds, in precedence order, because the ones that
// matter come in pairs (fd_exhausted with cpu_spin is the WebUI's EMFILE
// wedge) and a combined label per pair would multiply the vocabulary.
type Wedge struct {
	Kind     string        `json:"kind"`
	Kinds    []string      `json:"kinds"`
	Words    string        `json:"words"` // for people: "out of file descriptors (512 of 512, 508 on state.db), accept loop spinning at 85% CPU"
	Evidence WedgeEvidence `json:"evidence"`
}

// WedgeEvidence is what the classifier saw; unknown numbers are null.
type WedgeEvidence struct {
	CPUWindowSeconds *float64       `json:"cpu_window_seconds"`   // the capture's CPU measurement interval
	CPUSeconds       *float64       `json:"cpu_seconds"`          // CPU the child's threads used in it
	CPUSource        string         `json:"cpu_source,omitempty"` // "schedstat", "stat" (Linux /proc) or "ps" (macOS ps -M)
	ThreadCount      *int           `json:"thread_count"`
	Threads          []ThreadCPU    `json:"threads,omitempty"` // busiest first, at most 16
	States           map[string]int `json:"states,omitempty"`  // threads per state letter at the end of the window
	MainState        string         `json:"main_state,omitempty"`
	OpenFDs          *int           `json:"open_fds"`
	FDLimit          *uint64        `json:"fd_limit"`
	FDLimitSource    fdlimit.Source `json:"fd_limit_source,omitempty"`
	TopFile          *FileCount     `json:"top_file,omitempty"`
	AcceptQueue      *AcceptQueue   `json:"accept_queue,omitempty"`
	Verdict          string         `json:"verdict_reason,omitempty"`
	Probes           ProbeRun       `json:"probes"`
}

// ThreadCPU is one thread's CPU during the capture and its state at the
// end of it.
type ThreadCPU struct {
	TID        int      `json:"tid,omitempty"` // 0 on macOS: ps -M shows no thread ids
	Name       string   `json:"name,omitempty"`
	State      string   `json:"state"`
	CPUSeconds *float64 `json:"cpu_seconds"` // null when its first reading is missing (macOS, threads came or went)
}

// AcceptQueue is a sample of the child's listening socket: connections
// that completed the handshake and wait to be accepted, and the backlog.
type AcceptQueue struct {
	Length  int `json:"length"`
	Backlog int `json:"backlog"`
}

// ProbeRun is the probes since the last one that passed (hsup's own
// shortages left out): how many, how many got an HTTP answer, how many
// timed out.
type ProbeRun struct {
	Known    bool `json:"known"` // there is a probe history to read
	Failing  int  `json:"failing"`
	Answered int  `json:"answered"`
	TimedOut int  `json:"timed_out"`
}

// probeRun reads the probes since the last one that passed from the
// history (oldest first); without a history, from the last probe of each
// kind.
func probeRun(history []ProbeRecord, last map[string]Probe) ProbeRun {
	if len(history) == 0 {
		for _, p := range last {
			history = append(history, ProbeRecord{Result: p.Result, Status: p.Status, At: p.At})
		}
		slices.SortFunc(history, func(a, b ProbeRecord) int { return a.At.Compare(b.At) })
	}
	var run ProbeRun
	for _, r := range slices.Backward(history) {
		if r.Result == "hsup_error" {
			continue // hsup's own shortage: says nothing about the child
		}
		run.Known = true
		if r.Result == "ok" {
			break
		}
		run.Failing++
		if r.Status != 0 {
			run.Answered++
		}
		if r.Result == "timeout" {
			run.TimedOut++
		}
	}
	return run
}

// classifyWedge is the pure decision: the kinds the evidence shows, the
// first as Kind, in words. Missing evidence never makes a kind hold: with
// nothing to go on the wedge is unknown.
func classifyWedge(ev WedgeEvidence) Wedge {
	holds := map[string]bool{
		WedgeStopped:     isStopped(ev),
		WedgeFDExhausted: fdExhausted(ev),
		WedgeAcceptStall: queueStuck(ev),
		WedgeSlow:        ev.Probes.TimedOut > 0 && ev.Probes.Answered > 0,
	}
	cores, cpuKnown := coresUsed(ev)
	holds[WedgeCPUSpin] = cpuKnown && cores > spinCores && (answeringNothing(ev) || holds[WedgeAcceptStall])
	holds[WedgeBlocked] = !holds[WedgeStopped] && allAsleep(ev) && cpuKnown && cores <= idleCores && (holds[WedgeAcceptStall] || unanswered(ev))
	w := Wedge{Evidence: ev}
	for _, k := range wedgeOrder {
		if holds[k] {
			w.Kinds = append(w.Kinds, k)
		}
	}
	if len(w.Kinds) == 0 {
		w.Kinds = []string{WedgeUnknown}
	}
	w.Kind = w.Kinds[0]
	w.Words = wedgeWords(w.Kinds, ev)
	return w
}

// isStopped: the main thread, or every thread, in state T (stopped by a
// signal) or t (stopped by a tracer).
func isStopped(ev WedgeEvidence) bool {
	if stoppedState(ev.MainState) {
		return true
	}
	n := 0
	for s, c := range ev.States {
		if stoppedState(s) {
			n += c
		}
	}
	return ev.ThreadCount != nil && *ev.ThreadCount > 0 && n == *ev.ThreadCount
}

func stoppedState(s string) bool { return s == "T" || s == "t" }

// fdExhausted: open descriptors within fdHeadroom of a known, finite limit.
func fdExhausted(ev WedgeEvidence) bool {
	if ev.OpenFDs == nil || ev.FDLimit == nil || *ev.FDLimit == math.MaxUint64 || *ev.FDLimit <= fdHeadroom {
		return false
	}
	return uint64(*ev.OpenFDs)+fdHeadroom >= *ev.FDLimit
}

// answeringNothing: probes have failed since the last pass and none of
// them got an HTTP answer.
func answeringNothing(ev WedgeEvidence) bool {
	return ev.Probes.Known && ev.Probes.Failing > 0 && ev.Probes.Answered == 0
}

// unanswered: probes connected and timed out, and none got an answer, so
// their connections wait somewhere in the child: in the accept queue (the
// watch's sample, up to a second old, may not show it yet) or in a handler
// that never answers.
func unanswered(ev WedgeEvidence) bool {
	return answeringNothing(ev) && ev.Probes.TimedOut > 0
}

// queueStuck: connections wait to be accepted, and they are not merely
// passing through: the stall verdict said so, nothing answers, or the
// queue is full.
func queueStuck(ev WedgeEvidence) bool {
	q := ev.AcceptQueue
	if q == nil || q.Length <= 0 {
		return false
	}
	return ev.Verdict == WedgeAcceptStall || answeringNothing(ev) || (q.Backlog > 0 && q.Length >= q.Backlog)
}

// coresUsed is the CPU the child used over the window, in cores; ok false
// when either is unknown or the window is too short to tell.
func coresUsed(ev WedgeEvidence) (float64, bool) {
	if ev.CPUSeconds == nil || ev.CPUWindowSeconds == nil || *ev.CPUWindowSeconds < minWindowS {
		return 0, false
	}
	return *ev.CPUSeconds / *ev.CPUWindowSeconds, true
}

// allAsleep: the thread states are known and every thread waits (S, D; I
// idle and U uninterruptible on macOS).
func allAsleep(ev WedgeEvidence) bool {
	if ev.ThreadCount == nil || *ev.ThreadCount == 0 {
		return false
	}
	n := 0
	for s, c := range ev.States {
		switch s {
		case "S", "D", "I", "U":
			n += c
		}
	}
	return n == *ev.ThreadCount
}

// wedgeWords says the kinds in words, most important first.
func wedgeWords(kinds []string, ev WedgeEvidence) string {
	if kinds[0] == WedgeUnknown {
		return unknownWords(ev)
	}
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, kindWords(k, kinds, ev))
	}
	return strings.Join(parts, ", ")
}

func kindWords(kind string, kinds []string, ev WedgeEvidence) string {
	switch kind {
	case WedgeStopped:
		if stoppedState(ev.MainState) && !isStoppedAll(ev) {
			return "main thread stopped (state " + ev.MainState + ")"
		}
		return "stopped (state T: SIGSTOP, a debugger or a terminal stop)"
	case WedgeFDExhausted:
		return fdWords(ev)
	case WedgeBlocked:
		waiting := "probes time out unanswered"
		if slices.Contains(kinds, WedgeAcceptStall) {
			waiting = "connections wait to be accepted"
		}
		return "all " + strconv.Itoa(*ev.ThreadCount) + " threads asleep with no CPU while " + waiting +
			" (deadlocked, or not accepting or answering)"
	case WedgeCPUSpin:
		cores, _ := coresUsed(ev)
		if slices.Contains(kinds, WedgeFDExhausted) {
			return "accept loop spinning at " + percent(cores) + " CPU"
		}
		return "spinning at " + percent(cores) + " CPU while answering nothing" + busiest(ev)
	case WedgeAcceptStall:
		return "accept queue stuck (" + queueWords(*ev.AcceptQueue) + ")"
	case WedgeSlow:
		return "answering, but past the probe timeout (" + strconv.Itoa(ev.Probes.TimedOut) + " timed out, " +
			strconv.Itoa(ev.Probes.Answered) + " answered)"
	}
	return kind
}

func isStoppedAll(ev WedgeEvidence) bool {
	return ev.ThreadCount != nil && ev.States["T"]+ev.States["t"] == *ev.ThreadCount
}

// fdWords: "out of file descriptors (512 of 512, 508 on state.db)", the
// file named when it holds at least leakMin of them.
func fdWords(ev WedgeEvidence) string {
	w := "out of file descriptors (" + strconv.Itoa(*ev.OpenFDs) + " of " + strconv.FormatUint(*ev.FDLimit, 10)
	if f := ev.TopFile; f != nil && f.Count >= leakMin {
		w += ", " + strconv.Itoa(f.Count) + " on " + filepath.Base(f.Path)
	}
	return w + ")"
}

// busiest names the thread that used the most CPU, when there is one.
func busiest(ev WedgeEvidence) string {
	if len(ev.Threads) == 0 || ev.Threads[0].CPUSeconds == nil || ev.Threads[0].TID == 0 {
		return ""
	}
	t := ev.Threads[0]
	cores := *t.CPUSeconds / *ev.CPUWindowSeconds
	name := ""
	if t.Name != "" {
		name = " " + t.Name
	}
	return " (thread " + strconv.Itoa(t.TID) + name + " at " + percent(cores) + ")"
}

// unknownWords says what the evidence did show, so an unknown wedge still
// reads as a description.
func unknownWords(ev WedgeEvidence) string {
	var facts []string
	if cores, ok := coresUsed(ev); ok {
		facts = append(facts, percent(cores)+" CPU over "+strconv.FormatFloat(*ev.CPUWindowSeconds, 'f', 1, 64)+"s")
	}
	if ev.ThreadCount != nil {
		facts = append(facts, strconv.Itoa(*ev.ThreadCount)+" threads ("+stateList(ev.States)+")")
	}
	if ev.OpenFDs != nil && ev.FDLimit != nil && *ev.FDLimit != math.MaxUint64 {
		facts = append(facts, strconv.Itoa(*ev.OpenFDs)+" of "+strconv.FormatUint(*ev.FDLimit, 10)+" descriptors")
	}
	switch q := ev.AcceptQueue; {
	case q != nil && q.Length == 0:
		facts = append(facts, "accept queue empty")
	case q != nil:
		facts = append(facts, "accept queue "+queueWords(*q))
	}
	switch p := ev.Probes; {
	case p.Known && p.Failing == 0:
		facts = append(facts, "the last probe passed")
	case p.Known:
		facts = append(facts, strconv.Itoa(p.Failing)+" failing probes, "+strconv.Itoa(p.Answered)+" answered")
	}
	if len(facts) == 0 {
		return "no known kind of wedge (no evidence)"
	}
	return "no known kind of wedge (" + strings.Join(facts, ", ") + ")"
}

// queueWords: "64 waiting, backlog 64", or without the backlog when it is
// unknown (0).
func queueWords(q AcceptQueue) string {
	w := strconv.Itoa(q.Length) + " waiting"
	if q.Backlog > 0 {
		w += ", backlog " + strconv.Itoa(q.Backlog)
	}
	return w
}

// stateList is "5 S, 1 R": threads per state, most first.
func stateList(states map[string]int) string {
	keys := make([]string, 0, len(states))
	for k := range states {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if states[a] != states[b] {
			return states[b] - states[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, strconv.Itoa(states[k])+" "+k)
	}
	return strings.Join(parts, ", ")
}

// percent is cores as a percentage of one core: 0.853 -> "85%".
func percent(cores float64) string { return strconv.Itoa(int(math.Round(cores*100))) + "%" }
