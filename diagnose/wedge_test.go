package diagnose

import (
	"math"
	"slices"
	"testing"
	"time"
)

// ev builds evidence from a base and edits.
func ev(edits ...func(*WedgeEvidence)) WedgeEvidence {
	var e WedgeEvidence
	for _, f := range edits {
		f(&e)
	}
	return e
}

// cpu: cores used over a one-second window.
func cpu(cores float64) func(*WedgeEvidence) {
	return func(e *WedgeEvidence) { e.CPUWindowSeconds, e.CPUSeconds = ptr(1.0), ptr(cores) }
}

// threads: states and the main thread's.
func threads(main string, states map[string]int) func(*WedgeEvidence) {
	return func(e *WedgeEvidence) {
		n := 0
		for _, c := range states {
			n += c
		}
		e.ThreadCount, e.States, e.MainState = &n, states, main
	}
}

func fds(open int, limit uint64) func(*WedgeEvidence) {
	return func(e *WedgeEvidence) { e.OpenFDs, e.FDLimit = &open, &limit }
}

func queue(n, backlog int) func(*WedgeEvidence) {
	return func(e *WedgeEvidence) { e.AcceptQueue = &AcceptQueue{Length: n, Backlog: backlog} }
}

func probes(failing, answered, timedOut int) func(*WedgeEvidence) {
	return func(e *WedgeEvidence) {
		e.Probes = ProbeRun{Known: true, Failing: failing, Answered: answered, TimedOut: timedOut}
	}
}

func verdict(r string) func(*WedgeEvidence) { return func(e *WedgeEvidence) { e.Verdict = r } }

func topFile(path string, n int) func(*WedgeEvidence) {
	return func(e *WedgeEvidence) { e.TopFile = &FileCount{Path: path, Count: n} }
}

func TestClassifyWedge(t *testing.T) {
	asleep := threads("S", map[string]int{"S": 6, "D": 1})
	noAnswer := probes(3, 0, 3)
	tests := []struct {
		name  string
		ev    WedgeEvidence
		kinds []string
		words string
	}{
		{name: "no evidence at all", ev: ev(), kinds: []string{WedgeUnknown},
			words: "no known kind of wedge (no evidence)"},
		{name: "the WebUI's EMFILE wedge", ev: ev(fds(512, 512), topFile("/srv/webui/state.db", 508), cpu(0.853), noAnswer,
			threads("S", map[string]int{"R": 1, "S": 4}), verdict("health")),
			kinds: []string{WedgeFDExhausted, WedgeCPUSpin},
			words: "out of file descriptors (512 of 512, 508 on state.db), accept loop spinning at 85% CPU"},
		{name: "EMFILE with the queue full", ev: ev(fds(510, 512), topFile("/srv/webui/state.db", 508), cpu(0.9), queue(64, 64),
			noAnswer, verdict("accept_stall")),
			kinds: []string{WedgeFDExhausted, WedgeCPUSpin, WedgeAcceptStall},
			words: "out of file descriptors (510 of 512, 508 on state.db), accept loop spinning at 90% CPU, accept queue stuck (64 waiting, backlog 64)"},
		{name: "fd_exhausted alone names no ordinary file", ev: ev(fds(4095, 4096), topFile("[pipe]", 6)),
			kinds: []string{WedgeFDExhausted}, words: "out of file descriptors (4095 of 4096)"},
		{name: "three below the limit is not exhausted", ev: ev(fds(4093, 4096), cpu(0.01), asleep),
			kinds: []string{WedgeUnknown}, words: "no known kind of wedge (1% CPU over 1.0s, 7 threads (6 S, 1 D), 4093 of 4096 descriptors)"},
		{name: "unknown limit is never fd_exhausted", ev: ev(func(e *WedgeEvidence) { e.OpenFDs = ptr(100000) }),
			kinds: []string{WedgeUnknown}},
		{name: "unlimited is never fd_exhausted", ev: ev(fds(1<<20, math.MaxUint64)), kinds: []string{WedgeUnknown}},
		{name: "a limit of 2 says nothing", ev: ev(fds(2, 2)), kinds: []string{WedgeUnknown}},
		{name: "stopped by SIGSTOP", ev: ev(threads("T", map[string]int{"T": 5}), cpu(0), queue(3, 128), noAnswer),
			kinds: []string{WedgeStopped, WedgeAcceptStall},
			words: "stopped (state T: SIGSTOP, a debugger or a terminal stop), accept queue stuck (3 waiting, backlog 128)"},
		{name: "only the main thread stopped by a tracer", ev: ev(threads("t", map[string]int{"t": 1, "S": 3})),
			kinds: []string{WedgeStopped}, words: "main thread stopped (state t)"},
		{name: "every thread stopped though main unknown", ev: ev(threads("", map[string]int{"T": 2})), kinds: []string{WedgeStopped}},
		{name: "deadlock: asleep, idle, queue stuck", ev: ev(asleep, cpu(0.002), queue(5, 128), noAnswer, verdict("health")),
			kinds: []string{WedgeBlocked, WedgeAcceptStall},
			words: "all 7 threads asleep with no CPU while connections wait to be accepted (deadlocked, or not accepting or answering), accept queue stuck (5 waiting, backlog 128)"},
		{name: "asleep and idle with an empty queue: a handler that never answers", ev: ev(asleep, cpu(0), queue(0, 128), noAnswer),
			kinds: []string{WedgeBlocked}},
		{name: "asleep and idle with an empty queue, probes passing", ev: ev(asleep, cpu(0), queue(0, 128), probes(0, 0, 0)),
			kinds: []string{WedgeUnknown}},
		{name: "asleep and idle, no queue sample, probes timed out unanswered", ev: ev(asleep, cpu(0), noAnswer),
			kinds: []string{WedgeBlocked},
			words: "all 7 threads asleep with no CPU while probes time out unanswered (deadlocked, or not accepting or answering)"},
		{name: "asleep and idle, no queue sample, probes refused", ev: ev(asleep, cpu(0), probes(3, 0, 0)), kinds: []string{WedgeUnknown}},
		{name: "asleep and idle, no queue sample, no probes", ev: ev(asleep, cpu(0)), kinds: []string{WedgeUnknown}},
		{name: "one thread running is not blocked", ev: ev(threads("S", map[string]int{"S": 6, "R": 1}), cpu(0.01), queue(5, 128), noAnswer),
			kinds: []string{WedgeAcceptStall}},
		{name: "spin while answering nothing, names the busiest thread", ev: ev(cpu(1.4), noAnswer, func(e *WedgeEvidence) {
			e.Threads = []ThreadCPU{{TID: 4242, Name: "python3", State: "R", CPUSeconds: ptr(0.98)}}
		}), kinds: []string{WedgeCPUSpin}, words: "spinning at 140% CPU while answering nothing (thread 4242 python3 at 98%)"},
		{name: "busy but answering is no spin", ev: ev(cpu(1.9), probes(0, 0, 0)), kinds: []string{WedgeUnknown},
			words: "no known kind of wedge (190% CPU over 1.0s, the last probe passed)"},
		{name: "busy without probes is no spin", ev: ev(cpu(1.9)), kinds: []string{WedgeUnknown}},
		{name: "half a core exactly is no spin", ev: ev(cpu(0.5), noAnswer), kinds: []string{WedgeUnknown}},
		{name: "a window too short says nothing about CPU", ev: ev(noAnswer, func(e *WedgeEvidence) {
			e.CPUWindowSeconds, e.CPUSeconds = ptr(0.05), ptr(0.05)
		}), kinds: []string{WedgeUnknown}},
		{name: "queue stuck by the stall verdict", ev: ev(queue(2, 64), verdict("accept_stall")), kinds: []string{WedgeAcceptStall}},
		{name: "queue full", ev: ev(queue(64, 64)), kinds: []string{WedgeAcceptStall}},
		{name: "backlog unknown (0) is never full", ev: ev(queue(64, 0)), kinds: []string{WedgeUnknown},
			words: "no known kind of wedge (accept queue 64 waiting)"},
		{name: "stuck with the backlog unknown", ev: ev(queue(7, 0), noAnswer), kinds: []string{WedgeAcceptStall},
			words: "accept queue stuck (7 waiting)"},
		{name: "a passing queue with answers is not stuck", ev: ev(queue(3, 64), probes(1, 1, 0)), kinds: []string{WedgeUnknown}},
		{name: "slow: timeouts among answers", ev: ev(probes(3, 2, 2), cpu(0.3)), kinds: []string{WedgeSlow},
			words: "answering, but past the probe timeout (2 timed out, 2 answered)"},
		{name: "refused is not slow", ev: ev(probes(3, 0, 0)), kinds: []string{WedgeUnknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := classifyWedge(tt.ev)
			if !slices.Equal(w.Kinds, tt.kinds) || w.Kind != tt.kinds[0] {
				t.Errorf("kinds %q kind %q, want %q", w.Kinds, w.Kind, tt.kinds)
			}
			if tt.words != "" && w.Words != tt.words {
				t.Errorf("words\n %q\nwant\n %q", w.Words, tt.words)
			}
			if w.Words == "" {
				t.Errorf("no words")
			}
		})
	}
}

// Every kind the classifier can return is listed, in precedence order.
func TestWedgeKinds(t *testing.T) {
	want := []string{"stopped", "fd_exhausted", "blocked", "cpu_spin", "accept_stall", "slow", "unknown"}
	if got := WedgeKinds(); !slices.Equal(got, want) {
		t.Fatalf("WedgeKinds() = %q, want %q", got, want)
	}
}

func TestProbeRun(t *testing.T) {
	t0 := time.Unix(1795342472, 0)
	rec := func(result string, status int) ProbeRecord {
		return ProbeRecord{Kind: "cheap", Result: result, Status: status}
	}
	tests := []struct {
		name    string
		history []ProbeRecord
		last    map[string]Probe
		want    ProbeRun
	}{
		{name: "nothing known"},
		{name: "all passing", history: []ProbeRecord{rec("ok", 200), rec("ok", 200)}, want: ProbeRun{Known: true}},
		{name: "timeouts since the last pass", history: []ProbeRecord{rec("timeout", 0), rec("ok", 200), rec("timeout", 0), rec("timeout", 0)},
			want: ProbeRun{Known: true, Failing: 2, TimedOut: 2}},
		{name: "a late body and a degraded answer", history: []ProbeRecord{rec("ok", 200), rec("timeout", 200), rec("degraded", 503)},
			want: ProbeRun{Known: true, Failing: 2, Answered: 2, TimedOut: 1}},
		{name: "hsup's own shortage says nothing", history: []ProbeRecord{rec("timeout", 0), rec("hsup_error", 0)},
			want: ProbeRun{Known: true, Failing: 1, TimedOut: 1}},
		{name: "no history: the last probes", last: map[string]Probe{
			"cheap": {Result: "timeout", At: t0.Add(time.Second)}, "deep": {Result: "ok", Status: 200, At: t0},
		}, want: ProbeRun{Known: true, Failing: 1, TimedOut: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := probeRun(tt.history, tt.last); got != tt.want {
				t.Errorf("probeRun = %+v, want %+v", got, tt.want)
			}
		})
	}
}
