//go:build linux

package observe

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hsup/hsup/test/hsuptest"
)

// wedgeSummary is summary.json's wedge.
type wedgeSummary struct {
	Kind     string   `json:"kind"`
	Kinds    []string `json:"kinds"`
	Words    string   `json:"words"`
	Evidence struct {
		CPUWindowSeconds *float64       `json:"cpu_window_seconds"`
		CPUSeconds       *float64       `json:"cpu_seconds"`
		CPUSource        string         `json:"cpu_source"`
		OpenFDs          *int           `json:"open_fds"`
		FDLimit          *uint64        `json:"fd_limit"`
		States           map[string]int `json:"states"`
		AcceptQueue      *struct {
			Length  int `json:"length"`
			Backlog int `json:"backlog"`
		} `json:"accept_queue"`
		Probes struct {
			Failing  int `json:"failing"`
			Answered int `json:"answered"`
		} `json:"probes"`
	} `json:"evidence"`
}

func (w wedgeSummary) cores() float64 {
	if w.Evidence.CPUSeconds == nil || w.Evidence.CPUWindowSeconds == nil || *w.Evidence.CPUWindowSeconds == 0 {
		return -1
	}
	return *w.Evidence.CPUSeconds / *w.Evidence.CPUWindowSeconds
}

// wedgeBundle flips the switches in turn, waits for the restart that
// follows, and returns the restart's bundle line and the bundle's wedge.
func (d *demo) wedgeBundle(t *testing.T, switches ...string) (hsuptest.Line, wedgeSummary) {
	t.Helper()
	from := len(d.p.Lines())
	for _, sw := range switches {
		d.flip(t, sw)
	}
	_, capturing := d.p.WaitLine(t, from, restartWait, "child capturing", hsuptest.State("capturing"))
	_, starting := d.p.WaitLine(t, capturing, restartWait, "the replacement's child starting", hsuptest.State("starting"))
	var line hsuptest.Line
	for _, l := range d.p.Lines()[capturing:starting] {
		if l.Msg() == "diagnostics bundle written" {
			line = l
		}
	}
	if line == nil {
		t.Fatalf("no \"diagnostics bundle written\" line between capturing and the replacement starting")
	}
	b, err := os.ReadFile(filepath.Join(line.Str("dir"), "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Wedge *wedgeSummary }
	if err := json.Unmarshal(b, &s); err != nil || s.Wedge == nil {
		t.Fatalf("summary.json without a wedge (%v):\n%s", err, b)
	}
	ev, _ := json.Marshal(s.Wedge.Evidence)
	t.Logf("wedge %q %q: %s; evidence %s", s.Wedge.Kind, s.Wedge.Kinds, s.Wedge.Words, ev)
	if line.Str("wedge") != s.Wedge.Kind || line.Str("wedge_words") != s.Wedge.Words {
		t.Errorf("bundle line says wedge %q %q, summary.json %q %q", line.Str("wedge"), line.Str("wedge_words"), s.Wedge.Kind, s.Wedge.Words)
	}
	return line, *s.Wedge
}

// TestEMFileWedgeNamed is the WebUI's production wedge end to end: the
// demo leaks state.db handles towards its limit, then runs out (emfile)
// and its accept loop spins on EMFILE. The bundle names it: fd_exhausted
// and cpu_spin, with the file, in summary.json, on the bundle's log line
// (the line before the restart's) and on the first line of `hsup bundles
// show`. The spin is about a core (BenchmarkEMFileSpin in demoapp), twice
// the threshold. How much of a core the spin gets in the 100 ms window
// depends on the machine's load, so the test holds the classifier to the
// CPU it measured (cpu_spin exactly when over half a core) rather than to
// the machine's speed; the thresholds are table-tested in diagnose.
func TestEMFileWedgeNamed(t *testing.T) {
	t.Parallel()
	d := startDemo(t, map[string]string{"nofile": "256", "fd-warn": "0"})
	_, w := d.wedgeBundle(t, "leak?n=200", "emfile")
	if !slices.Contains(w.Kinds, "fd_exhausted") || w.Kind != "fd_exhausted" {
		t.Errorf("wedge %q, kinds %q, want fd_exhausted first", w.Kind, w.Kinds)
	}
	if spin := slices.Contains(w.Kinds, "cpu_spin"); spin != (w.cores() > 0.5) {
		load, _ := os.ReadFile("/proc/loadavg")
		t.Errorf("cpu_spin %v with %.2f cores measured (load %s): want it exactly above half a core",
			spin, w.cores(), strings.TrimSpace(string(load)))
	} else {
		t.Logf("the spin used %.2f cores in the capture window (cpu_spin %v)", w.cores(), spin)
	}
	if !strings.HasPrefix(w.Words, "out of file descriptors (") || !strings.Contains(w.Words, " on state.db)") {
		t.Errorf("words %q, want out of file descriptors (N of 256, M on state.db)...", w.Words)
	}
	if e := w.Evidence; e.FDLimit == nil || *e.FDLimit != 256 || e.OpenFDs == nil || *e.OpenFDs < 254 {
		t.Errorf("evidence fds %v of %v, want within 2 of 256", e.OpenFDs, e.FDLimit)
	}
	code, show := hsupOnce(t, "bundles", "show", "--diag-dir="+d.diag, "latest")
	first, _, _ := strings.Cut(show, "\n")
	if code != 0 || first != "wedge    "+w.Words+" ("+strings.Join(w.Kinds, ", ")+")" {
		t.Errorf("hsup bundles show: exit %d, first line %q; want the wedge in words", code, first)
	}
}

// TestNoacceptWedgeNamed: noaccept stops calling accept while every thread
// sleeps: blocked (a deadlock, by its evidence). The probes' connections
// pile up in the accept queue; whether the accept-queue watch has sampled
// them by the capture depends on its cadence (1 s while the queue is
// empty) against these fast probes, so accept_stall is asserted exactly
// when the bundle has a sample with connections waiting.
func TestNoacceptWedgeNamed(t *testing.T) {
	t.Parallel()
	d := startDemo(t, nil)
	_, w := d.wedgeBundle(t, "noaccept")
	want := []string{"blocked"}
	if q := w.Evidence.AcceptQueue; q != nil && q.Length > 0 {
		want = append(want, "accept_stall")
	}
	if !slices.Equal(w.Kinds, want) {
		t.Errorf("kinds %q, want %q (cores %.2f, queue %+v)", w.Kinds, want, w.cores(), w.Evidence.AcceptQueue)
	}
}

// TestFreezeWedgeNamed: the demo's freeze does not stop the app (no
// SIGSTOP): it only stops the accept counter, so hsup restarts it for a
// stale heartbeat while it answers every probe, accepts every connection
// and sleeps. None of the kinds holds, and the bundle says so with the
// evidence: unknown, the last probe passed, nothing waiting, no spin.
func TestFreezeWedgeNamed(t *testing.T) {
	t.Parallel()
	d := startDemo(t, map[string]string{"heartbeat-stale": "1s"})
	line, w := d.wedgeBundle(t, "freeze")
	if r := line.Str("reason"); r != "heartbeat" {
		t.Errorf("capture reason %q, want heartbeat", r)
	}
	if w.Kind != "unknown" || !strings.HasPrefix(w.Words, "no known kind of wedge (") || !strings.Contains(w.Words, "the last probe passed") {
		t.Errorf("wedge %q %q, want unknown with the evidence in words", w.Kind, w.Words)
	}
	if w.Evidence.States["T"] > 0 || w.Evidence.Probes.Failing != 0 {
		t.Errorf("evidence states %v, failing probes %d; want no stopped thread, none failing", w.Evidence.States, w.Evidence.Probes.Failing)
	}
}

// hsupOnce runs hsup with args to its end and returns its exit code and
// stdout.
func hsupOnce(t *testing.T, args ...string) (int, string) {
	t.Helper()
	p := hsuptest.Start(t, args)
	code := p.Wait(t, startWait)
	return code, p.Stdout()
}
