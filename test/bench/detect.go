package main

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// timings are the short probe settings of the detection benchmark; the
// hsup flags and every mode's budget are derived from the same values.
type timings struct {
	interval, timeout          time.Duration
	failures                   int
	deepInterval, deepTimeout  time.Duration
	deepFailures, busyFailures int
	stale                      time.Duration
}

var short = timings{
	interval: 250 * time.Millisecond, timeout: 250 * time.Millisecond, failures: 2,
	deepInterval: 250 * time.Millisecond, deepTimeout: 250 * time.Millisecond, deepFailures: 2,
	busyFailures: 4, stale: time.Second,
}

func (t timings) args() []string {
	d := func(name string, v time.Duration) string { return "--" + name + "=" + v.String() }
	n := func(name string, v int) string { return "--" + name + "=" + strconv.Itoa(v) }
	return []string{
		d("health-interval", t.interval), d("health-timeout", t.timeout), n("health-failures", t.failures),
		d("deep-interval", t.deepInterval), d("deep-timeout", t.deepTimeout), n("deep-failures", t.deepFailures),
		d("heartbeat-stale", t.stale), n("busy-failures", t.busyFailures),
		"--startup-grace=5s", "--stop-grace=1s", "--backoff-min=0", "--metrics-addr=",
	}
}

// mode is one way to wedge the demo app and how hsup should notice it.
type mode struct {
	name   string // demo switch, POST /demo/<name>
	query  string
	until  string // the state that marks detection: capturing, or backoff for a crash
	reason string // the reason hsup should give
	budget func(timings) time.Duration
}

func healthBudget(t timings) time.Duration {
	return time.Duration(t.failures)*t.interval + t.timeout
}

var modes = []mode{
	{name: "noaccept", until: "capturing", reason: "health", budget: healthBudget},
	{name: "hang", until: "capturing", reason: "health", budget: healthBudget},
	{name: "reset", until: "capturing", reason: "health", budget: healthBudget},
	{name: "deep", until: "capturing", reason: "deep", budget: func(t timings) time.Duration {
		return time.Duration(t.deepFailures)*t.deepInterval + t.deepTimeout
	}},
	{name: "freeze", until: "capturing", reason: "heartbeat", budget: func(t timings) time.Duration {
		return t.stale + t.interval
	}},
	{name: "busy", until: "capturing", reason: "busy", budget: func(t timings) time.Duration {
		return time.Duration(t.busyFailures)*t.interval + t.timeout
	}},
	{name: "crash", query: "code=1", until: "backoff", reason: "exit", budget: func(timings) time.Duration { return 0 }},
}

// DetectResult is one mode's row: times in milliseconds from the POST.
type DetectResult struct {
	Mode      string    `json:"mode"`
	Reasons   []string  `json:"reasons"` // as logged by hsup, one per run
	BudgetMS  float64   `json:"budget_ms"`
	DetectMS  []float64 `json:"detect_ms"`
	RecoverMS []float64 `json:"recover_ms"`
	Detect    float64   `json:"detect_median_ms"`
	Overhead  float64   `json:"overhead_median_ms"` // Detect - BudgetMS
	Recover   float64   `json:"recover_median_ms"`
}

// detector drives one hsup demo through wedge after wedge; cursor is the
// log index of the current child's "child starting" line.
type detector struct {
	p      *hsupProc
	addr   string
	cursor int
}

func runDetect(ctx context.Context, bin, tmp string, runs int, selected []mode) ([]DetectResult, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"demo", "--port=" + strconv.Itoa(port), "--log-format=json", "--diag-dir=" + tmp}, short.args()...)
	p, err := startHsup(bin, args, nil)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	d := &detector{p: p, addr: "http://127.0.0.1:" + strconv.Itoa(port)}
	var out []DetectResult
	for _, m := range selected {
		r := DetectResult{Mode: m.name, BudgetMS: ms(m.budget(short))}
		for i := 0; i < runs; i++ {
			det, rec, reason, err := d.once(ctx, m)
			if err != nil {
				return out, fmt.Errorf("mode %s run %d: %w", m.name, i+1, err)
			}
			r.DetectMS, r.RecoverMS = append(r.DetectMS, ms(det)), append(r.RecoverMS, ms(rec))
			r.Reasons = append(r.Reasons, reason)
		}
		r.Detect, r.Recover = median(r.DetectMS), median(r.RecoverMS)
		r.Overhead = r.Detect - r.BudgetMS
		out = append(out, r)
	}
	return out, nil
}

// once wedges the running child with m and measures detection and
// recovery from the moment the POST was sent.
func (d *detector) once(ctx context.Context, m mode) (detect, recover time.Duration, reason string, err error) {
	running, idx, err := d.p.waitLine(ctx, d.cursor, 30*time.Second, "child running", state("running", 0))
	if err != nil {
		return 0, 0, "", err
	}
	pid := running.pid()
	url := d.addr + "/demo/" + m.name
	if m.query != "" {
		url += "?" + m.query
	}
	t0, err := post(ctx, url)
	if err != nil {
		return 0, 0, "", err
	}
	det, idx, err := d.p.waitLine(ctx, idx, m.budget(short)+15*time.Second, "child "+m.until, state(m.until, pid))
	if err != nil {
		return 0, 0, "", err
	}
	// Poll only once the new child is starting, so the poll cannot reach
	// (and, for freeze, feed) the wedged one.
	_, idx, err = d.p.waitLine(ctx, idx, 15*time.Second, "a new child starting", state("starting", -pid))
	if err != nil {
		return 0, 0, "", err
	}
	ok, err := pollOK(ctx, d.addr+"/health", 15*time.Second)
	if err != nil {
		return 0, 0, "", err
	}
	d.cursor = idx
	return det.at.Sub(t0), ok.Sub(t0), det.str("reason"), nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
