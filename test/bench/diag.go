package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DiagResult is the capture time of diagnostics bundles for a child with
// about FDs open descriptors, with or without lsof on hsup's PATH.
type DiagResult struct {
	FDs      int       `json:"fds_target"`
	Measured []int     `json:"fds_measured"` // the child's open FDs just before the wedge
	Lsof     bool      `json:"lsof_on_path"`
	MS       []float64 `json:"capture_ms"` // the "ms" field of "diagnostics bundle written"
	Median   float64   `json:"capture_median_ms"`
	Results  []string  `json:"results"` // "result" field, plus failed collectors
}

func runDiag(ctx context.Context, bin, tmp string, runs int, sizes []int) ([]DiagResult, error) {
	var out []DiagResult
	for _, lsof := range []bool{true, false} {
		rs, err := diagSeries(ctx, bin, tmp, runs, sizes, lsof)
		out = append(out, rs...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// diagSeries runs one hsup and wedges its child runs times per size.
func diagSeries(ctx context.Context, bin, tmp string, runs int, sizes []int, lsof bool) ([]DiagResult, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env, err := diagEnv(tmp, lsof)
	if err != nil {
		return nil, err
	}
	args := append([]string{"demo", "--port=" + strconv.Itoa(port), "--log-format=json", "--nofile=8192",
		"--diag-dir=" + filepath.Join(tmp, "diag")}, short.args()...)
	p, err := startHsup(bin, args, env)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	d := &detector{p: p, addr: "http://127.0.0.1:" + strconv.Itoa(port)}
	var out []DiagResult
	for _, size := range sizes {
		r := DiagResult{FDs: size, Lsof: lsof}
		for i := 0; i < runs; i++ {
			if err := d.capture(ctx, &r); err != nil {
				return out, fmt.Errorf("diagnostics with %d FDs (lsof %v) run %d: %w", size, lsof, i+1, err)
			}
		}
		r.Median = median(r.MS)
		out = append(out, r)
	}
	return out, nil
}

// diagEnv is hsup's environment: ours, or ours with PATH pointing at an
// empty directory so that hsup finds no lsof (or anything else).
func diagEnv(tmp string, lsof bool) ([]string, error) {
	if lsof {
		if _, err := exec.LookPath("lsof"); err != nil {
			return nil, fmt.Errorf("lsof is not on PATH; install it to measure the lsof case: %w", err)
		}
		return nil, nil
	}
	empty := filepath.Join(tmp, "empty-path")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		return nil, fmt.Errorf("make an empty PATH directory: %w", err)
	}
	env := []string{"PATH=" + empty}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return env, nil
}

// capture leaks descriptors in the running child up to r.FDs, wedges it
// and records the bundle's capture time.
func (d *detector) capture(ctx context.Context, r *DiagResult) error {
	running, idx, err := d.p.waitLine(ctx, d.cursor, 30*time.Second, "child running", state("running", 0))
	if err != nil {
		return err
	}
	pid := running.pid()
	base, err := openFDs(pid)
	if err != nil {
		base = 10 // the demo app's own descriptors, roughly
	}
	if n := r.FDs - base; n > 0 {
		if _, err := post(ctx, d.addr+"/demo/leak?n="+strconv.Itoa(n)); err != nil {
			return err
		}
	}
	fds, err := openFDs(pid)
	if err != nil {
		fds = -1
	}
	if _, err := post(ctx, d.addr+"/demo/noaccept"); err != nil {
		return err
	}
	bundle, idx, err := d.p.waitLine(ctx, idx, 30*time.Second, "diagnostics bundle written", func(l logLine) bool {
		return l.msg() == "diagnostics bundle written" && l.pid() == pid
	})
	if err != nil {
		return err
	}
	_, d.cursor, err = d.p.waitLine(ctx, idx, 15*time.Second, "a new child starting", state("starting", -pid))
	r.Measured, r.MS = append(r.Measured, fds), append(r.MS, bundle.num("ms"))
	r.Results = append(r.Results, bundleResult(bundle))
	return err
}

// bundleResult is "ok", or the result and the failed collectors.
func bundleResult(l logLine) string {
	s := l.str("result")
	if failed, _ := l.fields["failed"].([]any); len(failed) > 0 {
		s += fmt.Sprintf(" (failed: %v)", failed)
	}
	return s
}
