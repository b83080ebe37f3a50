//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// runStallDetect runs the four settings of stallVariants side by side,
// each its own hsup demo wedged mode after mode, and returns the rows
// grouped by mode. The first error stops the others.
func runStallDetect(ctx context.Context, bin, tmp string, o stallOptions) ([]StallRow, error) {
	modes, err := pickStallModes(o.modes)
	if err != nil {
		return nil, err
	}
	if o.runs < 1 {
		return nil, fmt.Errorf("--stall-runs=%d: give at least 1", o.runs)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	variants := stallVariants(o.poll)
	got := make([][]StallRow, len(variants))
	errs := make([]error, len(variants))
	var wg sync.WaitGroup
	for i, v := range variants {
		wg.Go(func() {
			if got[i], errs[i] = runStallVariant(ctx, bin, tmp, v, modes, o.runs); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait() // each variant's waits are bounded, and it stops its hsup
	var rows []StallRow
	for m := range modes {
		for v := range variants {
			if m < len(got[v]) && len(got[v][m].MS) > 0 {
				rows = append(rows, got[v][m])
			}
		}
	}
	return rows, firstError(errs)
}

// firstError is the first error that is not a cancellation caused by
// another's failure, else the first error.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// stallWaits bound each step of a wedge: hsup at its defaults detects a
// freeze after 30 s of heartbeat plus a probe interval, stops a child
// within its 10 s grace and waits up to a minute for a first probe.
const (
	stallDetectWait = 60 * time.Second
	stallStepWait   = 60 * time.Second
)

func runStallVariant(ctx context.Context, bin, tmp string, v stallVariant, modes []stallMode, runs int) ([]StallRow, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tmp, "stall-")
	if err != nil {
		return nil, fmt.Errorf("make a directory for the stall part: %w", err)
	}
	args := append([]string{"demo", "--port=" + strconv.Itoa(port), "--log-format=json", "--metrics-addr=",
		"--diag-dir=" + filepath.Join(dir, "diag")}, v.flags...)
	p, err := startHsup(bin, args, nil)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	r := &stallRunner{p: p, addr: "http://127.0.0.1:" + strconv.Itoa(port)}
	if v.poll > 0 {
		stop := startPoller(ctx, r.addr+"/", v.poll)
		defer stop()
	}
	rows := make([]StallRow, len(modes))
	for i, m := range modes {
		rows[i] = newStallRow(v, m)
	}
	for run := 0; run < runs; run++ {
		phase := stallPhase(run, runs, defInterval)
		for i, m := range modes {
			s, err := r.once(ctx, m, phase)
			if err != nil {
				return rows, fmt.Errorf("watch %s, client %s, %s run %d: %w", v.watch, rows[i].Client, m.name, run+1, err)
			}
			rows[i].add(s)
		}
	}
	return rows, nil
}

// stallRunner drives one hsup demo; cursor is the log index from which
// the current child's "child running" line is looked for.
type stallRunner struct {
	p      *hsupProc
	addr   string
	cursor int
}

// once waits for the child to run, waits phase after that, wedges it with
// m and times hsup's "child capturing" line; then it reads the bundle's
// wedge and waits for the next child to start.
func (r *stallRunner) once(ctx context.Context, m stallMode, phase time.Duration) (stallSample, error) {
	running, idx, err := r.p.waitLine(ctx, r.cursor, stallStepWait, "child running", state("running", 0))
	if err != nil {
		return stallSample{}, err
	}
	pid := running.pid()
	if err := sleepCtx(ctx, time.Until(running.at.Add(phase))); err != nil {
		return stallSample{}, err
	}
	t0, err := r.wedge(ctx, m, pid)
	if err != nil {
		return stallSample{}, err
	}
	det, idx, err := r.p.waitLine(ctx, idx, stallDetectWait, "child capturing", state("capturing", pid))
	if err != nil {
		return stallSample{}, err
	}
	bundle, _, err := r.p.waitLine(ctx, idx, stallStepWait, "diagnostics bundle written", func(l logLine) bool {
		return l.msg() == "diagnostics bundle written" && l.pid() == pid
	})
	if err != nil {
		return stallSample{}, err
	}
	if _, r.cursor, err = r.p.waitLine(ctx, idx, stallStepWait, "a new child starting", state("starting", -pid)); err != nil {
		return stallSample{}, err
	}
	return stallSample{phase: t0.Sub(running.at), detect: det.at.Sub(t0),
		reason: det.str("reason"), wedge: bundle.str("wedge")}, nil
}

// wedge flips m's switch, or SIGSTOPs the child pid, and returns when.
func (r *stallRunner) wedge(ctx context.Context, m stallMode, pid int) (time.Time, error) {
	if m.sw != "" {
		return post(ctx, r.addr+"/demo/"+m.sw)
	}
	if err := demoChildOf(pid, r.p.cmd.Process.Pid); err != nil {
		return time.Time{}, err
	}
	t0 := time.Now()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return t0, fmt.Errorf("SIGSTOP the demo app (pid %d): %w", pid, err)
	}
	return t0, nil // hsup continues it (SIGCONT with its stop signal) when it stops it
}

// demoChildOf checks that pid is a demo app whose parent is the hsup
// bench started, so bench never signals a process it did not start.
func demoChildOf(pid, parent int) error {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return fmt.Errorf("pid %d, hsup's child as logged: %w", pid, err)
	}
	st, err := p.Stat()
	if err != nil {
		return fmt.Errorf("pid %d, hsup's child as logged: %w", pid, err)
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || st.PPID != parent || !bytes.Contains(cmdline, []byte("demo-app")) {
		return fmt.Errorf("pid %d is not a demo app started by hsup (pid %d); refusing to signal it", pid, parent)
	}
	return nil
}

// pollTimeout bounds one request of the polling client.
const pollTimeout = 5 * time.Second

// startPoller GETs url every `every` on a fresh connection until stop is
// called or ctx ends. Each request runs on its own, bounded by
// pollTimeout, so a hung one does not delay the next, as a browser tab's
// timer keeps firing. stop waits for every request.
func startPoller(ctx context.Context, url string, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	c := fresh(pollTimeout)
	wg.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			wg.Go(func() { get(ctx, c, url) }) // the counter is > 0 here: this goroutine holds it
		}
	})
	return func() { cancel(); wg.Wait() }
}
