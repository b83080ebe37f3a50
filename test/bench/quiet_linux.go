//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// quietHsup is one hsup of the quiet part.
type quietHsup struct {
	name  string
	flags []string
	env   []string // through env(1); the child inherits it
}

// quietHsups: the watch on and off, and on without hsup's default soft
// memory limit, which shows what share of the idle cost is the GC
// keeping the heap under it.
var quietHsups = []quietHsup{
	{name: rowQuietOn},
	{name: rowQuietOff, flags: []string{"--accept-stall=0"}},
	{name: rowQuietOn + ", GOMEMLIMIT=off", env: []string{"GOMEMLIMIT=off"}},
}

// quietProfiled is profiled and not measured: a CPU profile costs CPU.
var quietProfiled = quietHsup{name: "hsup defaults, --pprof (profiled)", flags: []string{"--pprof"}}

const (
	quietSettle  = 10 * time.Second // start-up (first probes, the watch finding its socket) is not idle
	quietProfile = time.Minute
)

func runQuiet(ctx context.Context, bin, tmp string, d time.Duration, profile bool) (*QuietReport, error) {
	if d <= 0 {
		return nil, fmt.Errorf("--quiet=%v: give a positive duration", d)
	}
	list := quietHsups
	if profile {
		list = append(list[:len(list):len(list)], quietProfiled)
	}
	l := &lineup{}
	defer func() { stopAll(l.all) }()
	for _, q := range list {
		s, err := launchQuiet(bin, tmp, q)
		if err := l.add(TimingRow{Name: q.name}, s, err); err != nil {
			return nil, err
		}
	}
	if err := l.bringUp(ctx); err != nil {
		return nil, err
	}
	if err := sleepCtx(ctx, quietSettle); err != nil {
		return nil, err
	}
	rows := make([]QuietRow, len(quietHsups))
	start := make([][2]time.Duration, len(quietHsups))
	for i, q := range quietHsups {
		rows[i] = QuietRow{Name: q.name, Flags: strings.Join(q.flags, " "), Env: strings.Join(q.env, " ")}
		var err error
		if start[i], err = hsupCPU(l.sups[i].cmd.Process.Pid); err != nil {
			return nil, err
		}
	}
	var prof <-chan string
	if profile {
		prof = profileHsup(ctx, bin, tmp, l.sups[len(l.sups)-1], min(d, quietProfile))
	}
	t0 := time.Now()
	err := sleepCtx(ctx, d)
	wall := time.Since(t0)
	rep := &QuietReport{Seconds: wall.Seconds(), Rows: rows}
	if prof != nil {
		rep.Profile = <-prof // bounded by profileHsup's timeouts
	}
	if err != nil {
		return nil, err
	}
	for i, s := range l.sups[:len(quietHsups)] {
		if err := quietRow(&rows[i], s, start[i], wall); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// launchQuiet runs `hsup run` at its defaults plus q.flags over the demo
// app, with /metrics on a free port (the default listens too).
func launchQuiet(bin, tmp string, q quietHsup) (*supProc, error) {
	s, port, err := newSup(tmp, q.name)
	if err != nil {
		return nil, err
	}
	s.isHsup = true
	mport, err := freePort()
	if err != nil {
		return nil, err
	}
	s.metric = "http://127.0.0.1:" + strconv.Itoa(mport) + "/metrics"
	args := []string{"run", "--log-format=json", "--name=bench", "--state-dir=" + filepath.Join(s.dir, "hsup-state"),
		"--health-url=" + s.url, "--diag-dir=" + filepath.Join(s.dir, "diag"), "--metrics-addr=127.0.0.1:" + strconv.Itoa(mport)}
	args = append(append(append(args, q.flags...), "--"), childArgv(bin, s.dir, port)...)
	if len(q.env) == 0 {
		return s, s.start(bin, args...)
	}
	env, err := exec.LookPath("env")
	if err != nil {
		return s, fmt.Errorf("%s needs env(1): %w", q.name, err)
	}
	return s, s.start(env, append(append(append([]string(nil), q.env...), bin), args...)...) // env execs hsup: same pid
}

// hsupCPU is the CPU time of hsup and of its lifeline helper (-1 s when
// there is none).
func hsupCPU(pid int) ([2]time.Duration, error) {
	own, err := cpuTime(pid)
	if err != nil {
		return [2]time.Duration{}, err
	}
	life := -time.Second
	if lp, err := lifelineOf(pid); err == nil { // memory_launch_linux.go
		if t, err := cpuTime(lp); err == nil {
			life = t
		}
	}
	return [2]time.Duration{own, life}, nil
}

func quietRow(r *QuietRow, s *supProc, start [2]time.Duration, wall time.Duration) error {
	if err := s.alive(); err != nil {
		return err
	}
	pid := s.cmd.Process.Pid
	end, err := hsupCPU(pid)
	if err != nil {
		return err
	}
	r.CPU = (end[0] - start[0]).Seconds()
	r.CPUPerMin = r.CPU / wall.Minutes()
	r.Lifeline = -1
	if start[1] >= 0 && end[1] >= 0 {
		r.Lifeline = (end[1] - start[1]).Seconds()
	}
	if r.RSSKB, err = rssKB(pid); err != nil {
		return err
	}
	lines, err := readLog(filepath.Join(s.dir, "supervisor.log"))
	if err != nil {
		return err
	}
	r.Restarts, r.Stalls, r.Failures = countVerdicts(lines)
	return nil
}

// readLog parses hsup's JSON log file; other lines are skipped.
func readLog(path string) ([]logLine, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read hsup's log: %w", err)
	}
	var out []logLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l.fields) == nil {
			out = append(out, l)
		}
	}
	return out, nil
}

// profileHsup takes a CPU profile of s over d from its metrics listener
// and sends `go tool pprof -top` of it (or why there is none) once done.
func profileHsup(ctx context.Context, bin, tmp string, s *supProc, d time.Duration) <-chan string {
	out := make(chan string, 1)
	go func() { // bounded by the request's and pprof's timeouts
		url := strings.TrimSuffix(s.metric, "/metrics") + "/debug/pprof/profile?seconds=" + strconv.Itoa(int(d.Seconds()))
		path := filepath.Join(tmp, "hsup-idle.pprof")
		if err := download(ctx, url, path, d+30*time.Second); err != nil {
			out <- fmt.Sprintf("no profile: %v\n", err)
			return
		}
		out <- pprofTop(ctx, bin, path)
	}()
	return out
}

func download(ctx context.Context, url, path string, timeout time.Duration) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d, %v: %.200s", url, resp.StatusCode, err, body)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return fmt.Errorf("save the profile: %w", err)
	}
	return nil
}

// pprofTop runs `go tool pprof -top` on the profile, flat then cumulative.
func pprofTop(ctx context.Context, bin, path string) string {
	var b strings.Builder
	for _, args := range [][]string{{"-top", "-nodecount=15"}, {"-top", "-cum", "-nodecount=30"}} {
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		cmd := exec.CommandContext(cctx, "go", append(append([]string{"tool", "pprof"}, args...), bin, path)...)
		got, err := cmd.Output()
		cancel()
		fmt.Fprintf(&b, "$ go tool pprof %s hsup %s\n", strings.Join(args, " "), filepath.Base(path))
		if err != nil {
			fmt.Fprintf(&b, "failed: %v\n", err)
			continue
		}
		b.Write(got)
	}
	return b.String()
}
