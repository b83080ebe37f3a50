package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// hsup's defaults, which the stall, load and quiet parts run at (the
// flags' defaults in cmd/hsup/flags.go).
const (
	defInterval    = 5 * time.Second  // --health-interval
	defTimeout     = 2 * time.Second  // --health-timeout
	defFailures    = 3                // --health-failures
	defStale       = 30 * time.Second // --heartbeat-stale
	defAcceptStall = 2 * time.Second  // --accept-stall
	// sampleSlow is the accept-queue watch's sampling interval while the
	// queue is empty (acceptq.SlowInterval): a connection that starts
	// waiting is seen up to this much later.
	sampleSlow = time.Second
)

// stallOptions are the flags of the stall, load and quiet parts.
type stallOptions struct {
	runs  int
	poll  time.Duration // the polling client's period
	modes string
	load  loadOptions
	quiet time.Duration
	pprof bool
}

// loadOptions are the load part's: clients hammer GET /slow for duration.
type loadOptions struct {
	clients, workers int
	duration, work   time.Duration
}

func (o *stallOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&o.runs, "stall-runs", 3, "stall part: wedges per mode and setting; the switch comes at phases spread over one cheap interval")
	fs.DurationVar(&o.poll, "stall-poll", 500*time.Millisecond, "stall part: period of the polling client (an open browser tab)")
	fs.StringVar(&o.modes, "stall-modes", "noaccept,emfile,sigstop,freeze", "stall part: comma-separated wedges: noaccept,emfile,sigstop,freeze")
	fs.IntVar(&o.load.clients, "load-clients", 64, "load part: concurrent clients")
	fs.IntVar(&o.load.workers, "load-workers", 16, "load part: accepting workers of the worker-pool child")
	fs.DurationVar(&o.load.duration, "load-duration", 30*time.Second, "load part: how long the clients hammer")
	fs.DurationVar(&o.load.work, "load-work", 200*time.Millisecond, "load part: time GET /slow takes per request")
	fs.DurationVar(&o.quiet, "quiet", 10*time.Minute, "quiet part: idle window (restarts, and hsup's CPU with the watch on and off)")
	fs.BoolVar(&o.pprof, "quiet-pprof", false, "quiet part: also profile hsup (watch on, --pprof) for 60 s and print `go tool pprof -top`")
}

// StallReport holds the stall, load and quiet parts.
type StallReport struct {
	Runs    int          `json:"runs,omitempty"`
	Poll    string       `json:"poll,omitempty"`
	Detect  []StallRow   `json:"detect,omitempty"`
	Load    []LoadRow    `json:"load,omitempty"`
	Quiet   *QuietReport `json:"quiet,omitempty"`
	Targets []Target     `json:"targets,omitempty"`
}

// runStallParts fills rep.Stall with the selected parts; what was
// measured before an error is kept, and the targets are checked either way.
func runStallParts(ctx context.Context, rep *report, parts string, o stallOptions, bin, tmp string) error {
	s := &StallReport{}
	defer func() {
		s.Targets = s.targets()
		if len(s.Detect)+len(s.Load) > 0 || s.Quiet != nil {
			rep.Stall = s
		}
	}()
	var err error
	if strings.Contains(parts, "stall") {
		s.Runs, s.Poll = o.runs, o.poll.String()
		if s.Detect, err = runStallDetect(ctx, bin, tmp, o); err != nil {
			return fmt.Errorf("stall detection: %w", err)
		}
	}
	if strings.Contains(parts, "load") {
		if s.Load, err = runLoad(ctx, bin, tmp, o.load); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	}
	if strings.Contains(parts, "quiet") {
		if s.Quiet, err = runQuiet(ctx, bin, tmp, o.quiet, o.pprof); err != nil {
			return fmt.Errorf("quiet: %w", err)
		}
	}
	return nil
}

// stallMode is one wedge of the stall part: a demo switch, or SIGSTOP of
// the demo app (sw "").
type stallMode struct {
	name, sw string
}

var stallModes = []stallMode{{"noaccept", "noaccept"}, {"emfile", "emfile"}, {"sigstop", ""}, {"freeze", "freeze"}}

func pickStallModes(list string) ([]stallMode, error) {
	var out []stallMode
	for _, name := range strings.Split(list, ",") {
		found := false
		for _, m := range stallModes {
			if m.name == strings.TrimSpace(name) {
				out, found = append(out, m), true
			}
		}
		if !found {
			return nil, fmt.Errorf("--stall-modes: unknown wedge %q; pick from noaccept,emfile,sigstop,freeze", name)
		}
	}
	return out, nil
}

// stallVariant is one hsup of the stall part: defaults (plus flags), with
// or without a client polling the app every poll.
type stallVariant struct {
	watch string // row label of the watch setting
	flags []string
	poll  time.Duration // 0: no client
}

func (v stallVariant) watchOn() bool {
	for _, f := range v.flags {
		if f == "--accept-stall=0" || f == "--accept-stall=0s" {
			return false
		}
	}
	return true
}

// stallVariants are the watch on and off, each without and with a client.
// --backoff-reset=0s makes every wedge a first restart instead of
// escalating the backoff; it does not touch detection.
func stallVariants(poll time.Duration) []stallVariant {
	on := stallVariant{watch: "on (defaults)", flags: []string{"--backoff-reset=0s"}}
	off := stallVariant{watch: "off (--accept-stall=0)", flags: []string{"--accept-stall=0", "--backoff-reset=0s"}}
	onPoll, offPoll := on, off
	onPoll.poll, offPoll.poll = poll, poll
	return []stallVariant{on, off, onPoll, offPoll}
}

// stallPhase is how long after the "child running" line (a probe just
// passed) run i of n flips the switch. The runs spread evenly over one
// cheap interval, so the next probe comes anywhere from a full interval
// to a fraction of it after the switch, and at the same time over one
// slow sampling period of the watch, so that switches at whole seconds
// do not all meet its once-a-second samples at the same point.
func stallPhase(i, n int, interval time.Duration) time.Duration {
	if n <= 0 || interval <= 0 {
		return 0
	}
	return (interval + sampleSlow) * time.Duration(i%n) / time.Duration(n) % interval
}

// stallBound is what a detection is held to: a target of the issue for
// the watch on (one cheap interval + --accept-stall with no other
// traffic, --accept-stall + 1 s with a client), else the probe or
// heartbeat budget the detection used to wait for.
func stallBound(mode string, watchOn bool, poll time.Duration) (bound time.Duration, what string, target bool) {
	switch {
	case mode == "freeze":
		return defStale + defInterval, "heartbeat budget: stale + interval", false
	case !watchOn:
		return time.Duration(defFailures)*defInterval + defTimeout, "probe budget: failures x interval + timeout", false
	case poll > 0:
		return defAcceptStall + time.Second, "target: --accept-stall + 1 s", true
	}
	return defInterval + defAcceptStall, "target: interval + --accept-stall", true
}

// StallRow is one wedge under one setting: detection in milliseconds from
// the switch (POST, or SIGSTOP) to the "child capturing" line.
type StallRow struct {
	Mode    string    `json:"mode"`
	Watch   string    `json:"watch"`
	Flags   string    `json:"flags"`
	Client  string    `json:"client"`
	PhaseMS []float64 `json:"phase_ms"` // the switch came this long after "child running"
	MS      []float64 `json:"detect_ms"`
	Reasons []string  `json:"reasons"`
	Wedges  []string  `json:"wedges"` // the bundle's wedge, per run
	Median  float64   `json:"median_ms"`
	Max     float64   `json:"max_ms"`
	BoundMS float64   `json:"bound_ms"`
	Bound   string    `json:"bound"`
	Target  bool      `json:"bound_is_target"`
}

func newStallRow(v stallVariant, m stallMode) StallRow {
	client := "none"
	if v.poll > 0 {
		client = "GET / every " + v.poll.String()
	}
	b, what, target := stallBound(m.name, v.watchOn(), v.poll)
	return StallRow{Mode: m.name, Watch: v.watch, Flags: strings.Join(v.flags, " "), Client: client,
		BoundMS: ms(b), Bound: what, Target: target}
}

// stallSample is one detection.
type stallSample struct {
	phase, detect time.Duration
	reason, wedge string
}

func (r *StallRow) add(s stallSample) {
	r.PhaseMS, r.MS = append(r.PhaseMS, ms(s.phase)), append(r.MS, ms(s.detect))
	r.Reasons, r.Wedges = append(r.Reasons, s.reason), append(r.Wedges, s.wedge)
	r.Median = median(r.MS)
	r.Max = 0
	for _, x := range r.MS {
		r.Max = max(r.Max, x)
	}
}

func (s *StallReport) print(w io.Writer) {
	if len(s.Detect) > 0 {
		s.printDetect(w)
	}
	if len(s.Load) > 0 {
		printLoad(w, s.Load)
	}
	if s.Quiet != nil {
		s.Quiet.print(w)
	}
	if len(s.Targets) > 0 {
		fmt.Fprintf(w, "## Targets of the accept-queue watch\n\n| target | this run | |\n|---|---|---|\n")
		for _, t := range s.Targets {
			fmt.Fprintf(w, "| %s | %s | %s |\n", t.What, t.Figure, map[bool]string{true: "met", false: "MISSED"}[t.Met])
		}
		fmt.Fprintln(w)
	}
}

func (s *StallReport) printDetect(w io.Writer) {
	fmt.Fprintf(w, "## Wedge detection at hsup's defaults, accept-queue watch on and off (%d runs each; ms from the switch)\n\n", s.Runs)
	fmt.Fprintf(w, "hsup demo at its defaults (cheap probe every %v, %v timeout, %d failures; heartbeat stale after %v; "+
		"--accept-stall=%v) plus --backoff-reset=0s.  \n", defInterval, defTimeout, defFailures, defStale, defAcceptStall)
	fmt.Fprintf(w, "Detection: the switch (POST /demo/NAME, or SIGSTOP of the demo app) -> bench received hsup's \"child capturing\" line.  \n")
	fmt.Fprintf(w, "Run i of n flips the switch i/n x (interval + 1 s), modulo the interval, after the \"child running\" line (phases in the JSON).  \n")
	fmt.Fprintf(w, "Client: with none only hsup's probe connects; the poller opens a fresh connection every %s (a browser tab).  \n", s.Poll)
	fmt.Fprintf(w, "Wedge: the bundle's wedge field, per run.\n\n")
	fmt.Fprintf(w, "| wedge | watch | client | reason | bundle wedge | median ms | max ms | runs (ms) | held to |\n|---|---|---|---|---|---:|---:|---|---|\n")
	for _, r := range s.Detect {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.0f | %.0f | %s | %s %.0f |\n", r.Mode, r.Watch, r.Client,
			strings.Join(uniq(r.Reasons), ","), strings.Join(uniq(r.Wedges), ","), r.Median, r.Max, joinMS(r.MS), r.Bound, r.BoundMS)
	}
	fmt.Fprintln(w)
}

// targets checks the targets against what was measured; a part
// not run adds none.
func (s *StallReport) targets() []Target {
	var out []Target
	for _, r := range s.Detect {
		if r.Target && len(r.MS) > 0 {
			out = append(out, Target{What: fmt.Sprintf("%s detected (watch on, client %s) <= %.0f ms", r.Mode, r.Client, r.BoundMS),
				Met: r.Max <= r.BoundMS, Figure: fmt.Sprintf("max %.0f ms, median %.0f ms", r.Max, r.Median)})
		}
	}
	for _, l := range s.Load {
		if l.Skipped == "" {
			out = append(out, Target{What: "zero restarts under load: " + l.Name, Met: l.Restarts == 0 && l.Stalls == 0,
				Figure: fmt.Sprintf("%d restarts, %d stalls", l.Restarts, l.Stalls)})
		}
	}
	if q := s.Quiet; q != nil {
		out = append(out, q.targets()...)
	}
	return out
}
