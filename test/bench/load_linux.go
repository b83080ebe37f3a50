//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
)

// loadChild is one child the load part runs under hsup.
type loadChild struct {
	name, child string
	argv        func(dir, addr string) []string
	env         []string // added to hsup's environment, which the child inherits
}

// loadChildren: the worker pool keeps connections waiting in the accept
// queue under load (a non-empty queue that drains); the demo app, Go's
// net/http, accepts every connection at once, so its queue stays empty
// whatever the load.
func loadChildren(bin, exe string, o loadOptions) []loadChild {
	return []loadChild{
		{name: fmt.Sprintf("worker pool, %d workers accepting one connection at a time", o.workers), child: "bench workerpool",
			argv: func(dir, addr string) []string {
				return []string{exe, "--addr=" + addr, "--workers=" + strconv.Itoa(o.workers), "--marker=" + dir}
			}, env: []string{helperEnv + "=workerpool"}},
		{name: "demo app (Go net/http, accepts at once)", child: "hsup demo-app",
			argv: func(dir, addr string) []string {
				return []string{bin, "demo-app", "--addr", addr, "--state-dir", filepath.Join(dir, "state")}
			}},
	}
}

// runLoad runs each child under hsup at its defaults and hammers it.
func runLoad(ctx context.Context, bin, tmp string, o loadOptions) ([]LoadRow, error) {
	if o.clients < 1 || o.workers < 1 || o.duration <= 0 || o.work < 0 {
		return nil, fmt.Errorf("--load-clients=%d --load-workers=%d --load-duration=%v --load-work=%v: give positive values",
			o.clients, o.workers, o.duration, o.work)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find bench's own executable for the worker pool: %w", err)
	}
	var rows []LoadRow
	for _, c := range loadChildren(bin, exe, o) {
		r, err := loadOnce(ctx, bin, tmp, o, c)
		rows = append(rows, r)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", c.name, err)
		}
	}
	return rows, nil
}

func loadOnce(ctx context.Context, bin, tmp string, o loadOptions, c loadChild) (LoadRow, error) {
	row := LoadRow{Name: c.name, Child: c.child, Clients: o.clients, Seconds: o.duration.Seconds(), WorkMS: ms(o.work)}
	port, err := freePort()
	if err != nil {
		return row, err
	}
	dir, err := os.MkdirTemp(tmp, "load-")
	if err != nil {
		return row, fmt.Errorf("make a directory for the load part: %w", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	flags := []string{"--log-format=json", "--metrics-addr=", "--diag-dir=" + filepath.Join(dir, "diag"), "--health-url=http://" + addr + "/health"}
	row.Flags = strings.Join(flags, " ")
	var env []string
	if len(c.env) > 0 {
		env = append(os.Environ(), c.env...)
	}
	p, err := startHsup(bin, append(append(append([]string{"run"}, flags...), "--"), c.argv(dir, addr)...), env)
	if err != nil {
		return row, err
	}
	defer p.stop()
	running, from, err := p.waitLine(ctx, 0, stallStepWait, "child running", state("running", 0))
	if err != nil {
		return row, err
	}
	if _, _, err := p.waitLine(ctx, 0, 30*time.Second, "watching the accept queue", func(l logLine) bool {
		return l.msg() == "watching the accept queue"
	}); err != nil {
		return row, err
	}
	lctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	queue := hsuptest.SampleQueue(lctx, running.pid(), port)
	row.Served, row.Failed = hsuptest.Hammer(lctx, "http://"+addr+"/slow?ms="+strconv.FormatInt(o.work.Milliseconds(), 10), o.clients)
	q := <-queue
	if q.Err != nil {
		return row, q.Err
	}
	row.Samples, row.Waiting, row.Longest, row.Backlog = q.Samples, q.Waiting, q.Longest, q.Backlog
	if err := sleepCtx(ctx, loadSettle); err != nil {
		return row, err
	}
	row.Restarts, row.Stalls, row.Failures = countVerdicts(p.snapshot()[from:])
	return row, nil
}
