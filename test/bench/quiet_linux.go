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
	if err := l.launchQuiet(ctx, bin, tmp, list); err != nil {
		return nil, err
	}
	rows := make([]QuietRow, len(quietHsups))
	start := make([]quietMark, len(quietHsups))
	for i, q := range quietHsups {
		rows[i] = QuietRow{Name: q.name, Flags: strings.Join(q.flags, " "), Env: strings.Join(q.env, " ")}
		var err error
		if start[i], err = mark(ctx, l.sups[i]); err != nil {
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
		if err := quietRow(ctx, &rows[i], s, start[i], wall); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// launchQuiet starts every hsup of list, waits for their children to
// answer, then quietSettle more.
func (l *lineup) launchQuiet(ctx context.Context, bin, tmp string, list []quietHsup) error {
	for _, q := range list {
		s, err := launchQuiet(bin, tmp, q)
		if err := l.add(TimingRow{Name: q.name}, s, err); err != nil {
			return err
		}
	}
	if err := l.bringUp(ctx); err != nil {
		return err
	}
	return sleepCtx(ctx, quietSettle)
}

// launchQuiet runs `hsup run` at its defaults plus q.flags over the demo
// app, with /metrics on a free port (the default listens too).
func launchQuiet(bin, tmp string, q quietHsup) (*supProc, error) {
	return launchMetered(bin, bin, tmp, q.name, "bench", q.flags, q.env)
}

// quietMark is what the quiet part reads of one hsup at the start and
// the end of the window: CPU times, and from /metrics its GC cycles and
// bytes allocated (two scrapes in all: they cost hsup a little CPU).
type quietMark struct {
	cpu         [2]time.Duration
	gcs, allocd float64
}

func mark(ctx context.Context, s *supProc) (quietMark, error) {
	var m quietMark
	body, err := expect(ctx, http.MethodGet, s.metric, "", "go_gc_duration_seconds_count") // memory_launch_linux.go
	if err != nil {
		return m, err
	}
	if m.gcs, err = gaugeValue(string(body), "go_gc_duration_seconds_count"); err != nil {
		return m, err
	}
	if m.allocd, err = gaugeValue(string(body), "go_memstats_alloc_bytes_total"); err != nil {
		return m, err
	}
	m.cpu, err = hsupCPU(s.cmd.Process.Pid) // after the scrape: its cost falls outside the window
	return m, err
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

func quietRow(ctx context.Context, r *QuietRow, s *supProc, start quietMark, wall time.Duration) error {
	if err := s.alive(); err != nil {
		return err
	}
	pid := s.cmd.Process.Pid
	end, err := hsupCPU(pid) // before the scrape
	if err != nil {
		return err
	}
	r.CPU = (end[0] - start.cpu[0]).Seconds()
	r.CPUPerMin = r.CPU / wall.Minutes()
	r.Lifeline = -1
	if start.cpu[1] >= 0 && end[1] >= 0 {
		r.Lifeline = (end[1] - start.cpu[1]).Seconds()
	}
	if r.RSSKB, err = rssKB(pid); err != nil {
		return err
	}
	after, err := mark(ctx, s)
	if err != nil {
		return err
	}
	r.GCsPerMin = (after.gcs - start.gcs) / wall.Minutes()
	r.AllocKBPerMin = (after.allocd - start.allocd) / 1024 / wall.Minutes()
	lines, err := readLog(filepath.Join(s.dir, "supervisor.log"))
	if err != nil {
		return err
	}
	r.Restarts, r.Stalls, r.Failures = countVerdicts(sinceRunning(lines))
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

// profileHsup takes a CPU profile of s over d from its metrics listener,
// then its allocation profile (bytes allocated since it started, sampled),
// and sends `go tool pprof -top` of both (or why there is none) once done.
func profileHsup(ctx context.Context, bin, tmp string, s *supProc, d time.Duration) <-chan string {
	out := make(chan string, 1)
	go func() { // bounded by the requests' and pprof's timeouts
		base := strings.TrimSuffix(s.metric, "/metrics") + "/debug/pprof/"
		cpu, allocs := filepath.Join(tmp, "hsup-idle-cpu.pprof"), filepath.Join(tmp, "hsup-idle-allocs.pprof")
		if err := download(ctx, base+"profile?seconds="+strconv.Itoa(int(d.Seconds())), cpu, d+30*time.Second); err != nil {
			out <- fmt.Sprintf("no profile: %v\n", err)
			return
		}
		if err := download(ctx, base+"allocs", allocs, 30*time.Second); err != nil {
			out <- fmt.Sprintf("no allocation profile: %v\n", err)
			return
		}
		out <- pprofTop(ctx, bin, [][]string{
			{"-top", "-nodecount=15", cpu},
			{"-top", "-cum", "-nodecount=30", cpu},
			{"-sample_index=alloc_space", "-top", "-cum", "-nodecount=20", allocs},
		})
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

// pprofTop runs `go tool pprof` with each argument list (its last word
// is the profile) against bin and joins the outputs.
func pprofTop(ctx context.Context, bin string, runs [][]string) string {
	var b strings.Builder
	for _, args := range runs {
		file := args[len(args)-1]
		flags := args[:len(args)-1]
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		cmd := exec.CommandContext(cctx, "go", append(append(append([]string{"tool", "pprof"}, flags...), bin), file)...)
		got, err := cmd.Output()
		cancel()
		fmt.Fprintf(&b, "$ go tool pprof %s hsup %s\n", strings.Join(flags, " "), filepath.Base(file))
		if err != nil {
			fmt.Fprintf(&b, "failed: %v\n", err)
			continue
		}
		b.Write(got)
	}
	return b.String()
}
