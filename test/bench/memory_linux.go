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
)

// memoryPeers are the peers of the memory part, as the issue names them.
var memoryPeers = []peer{peerSupervisord, peerMonit, peerRunit}

// entrant is one supervisor process of the memory part.
type entrant struct {
	row    MemoryRow
	sup    *supProc                    // nil for a skipped peer
	pid    func() (int, error)         // the process measured
	query  func(context.Context) error // one status query; nil: none
	cpu0   time.Duration
	mem    memSeries
	ok     int
	failed []string
	gc     gcRate // hsup only
}

// runMemory builds hsup as memoryBuilds says, and the floor; runs every
// build beside the floor and supervisord, monit and runit over the same
// child (the demo app, from a
// copy of bin so that no supervisor shares a page of its binary with the
// children), queries each one's status every o.scrape for o.duration, and
// reads each supervisor process's memory at every query and at the end.
func runMemory(ctx context.Context, bin, tmp string, o memoryOptions) (*MemoryReport, error) {
	child, err := copyChild(bin, tmp)
	if err != nil {
		return nil, err
	}
	builds := memoryBuilds(o.remedies)
	bins, err := buildVariants(ctx, builds, tmp)
	if err != nil {
		return nil, err
	}
	floor, err := buildFloor(ctx, tmp)
	if err != nil {
		return nil, err
	}
	es, all, err := launchAll(ctx, builds, bins, floor, child, tmp)
	defer func() { stopAll(all) }()
	if err != nil {
		return nil, err
	}
	if err := bringUpAll(ctx, es); err != nil {
		return nil, err
	}
	rep := &MemoryReport{Seconds: o.duration.Seconds(), ScrapeSeconds: o.scrape.Seconds()}
	err = steadyState(ctx, es, o)
	for _, e := range es {
		rep.Rows = append(rep.Rows, e.row)
	}
	rep.Targets, rep.OverFloor = rep.targets(), rep.overFloor()
	return rep, err
}

// launchAll starts every build of hsup (the release build's lifeline is
// measured too), then the floor (bin floor), then every peer. all is
// everything started, for stopAll, even when an error cut the lineup short.
func launchAll(ctx context.Context, builds []hsupBuild, bins []string, floor, child, tmp string) (es []*entrant, all []*supProc, err error) {
	for i, b := range builds {
		s, err := launchBuild(b, bins[i], child, tmp)
		if s != nil {
			all = append(all, s)
		}
		if err != nil {
			return nil, all, err
		}
		es = append(es, hsupEntrant(b, s))
		if b.Name == rowRelease {
			es = append(es, lifelineEntrant(s))
		}
	}
	e, s, err := floorEntrant(ctx, floor, tmp)
	if s != nil {
		all = append(all, s)
	}
	if err != nil {
		return nil, all, err
	}
	es = append(es, e)
	for _, p := range memoryPeers {
		e, s, err := peerEntrant(p, child, tmp)
		if s != nil {
			all = append(all, s)
		}
		if err != nil {
			return nil, all, err
		}
		es = append(es, e)
	}
	return es, all, nil
}

// copyChild copies bin to tmp/child/hsup: the children run that file.
func copyChild(bin, tmp string) (string, error) {
	path := filepath.Join(tmp, "child", "hsup")
	return path, copyFile(bin, path)
}

// bringUpAll waits for every child's first healthy answer and every hsup's
// "child running", then takes each supervisor's CPU time.
func bringUpAll(ctx context.Context, es []*entrant) error {
	for _, e := range es {
		if e.sup == nil || e.row.Skipped != "" {
			continue
		}
		if _, err := e.sup.waitChild(ctx, 60*time.Second, 20*time.Millisecond); err != nil {
			return err
		}
		if err := e.sup.settled(ctx, 60*time.Second); err != nil {
			return err
		}
	}
	for _, e := range es {
		if e.row.Skipped != "" {
			continue
		}
		pid, err := e.pid()
		if err != nil {
			return err
		}
		if e.cpu0, err = cpuTime(pid); err != nil {
			return fmt.Errorf("%s: %w", e.row.Name, err)
		}
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		e.row.Process = strings.TrimSpace(string(comm))
	}
	return nil
}

// steadyState queries and samples every entrant every o.scrape (the first
// at once) for o.duration, then takes the final reading.
func steadyState(ctx context.Context, es []*entrant, o memoryOptions) error {
	t0 := time.Now()
	end := t0.Add(o.duration)
	tick := time.NewTicker(o.scrape)
	defer tick.Stop()
	for {
		for _, e := range es {
			if err := e.tick(ctx); err != nil {
				return err
			}
		}
		if !time.Now().Before(end) {
			break
		}
		wait := time.NewTimer(time.Until(end))
		select {
		case <-tick.C:
		case <-wait.C:
		case <-ctx.Done():
			wait.Stop()
			return ctx.Err()
		}
		wait.Stop()
	}
	wall := time.Since(t0)
	for _, e := range es {
		if err := e.finish(wall); err != nil {
			return err
		}
	}
	return nil
}

// tick is one status query and one memory reading.
func (e *entrant) tick(ctx context.Context) error {
	if e.row.Skipped != "" {
		return nil
	}
	if e.sup != nil {
		if err := e.sup.alive(); err != nil {
			return err
		}
	}
	if e.query != nil {
		if err := e.query(ctx); err != nil {
			e.failed = append(e.failed, err.Error())
		} else {
			e.ok++
		}
	}
	s, err := e.sample()
	if err != nil {
		return err
	}
	e.mem.add(s)
	return nil
}

// finish is the final reading, the CPU per minute over wall, and what the
// status queries came to.
func (e *entrant) finish(wall time.Duration) error {
	if e.row.Skipped != "" {
		return nil
	}
	s, err := e.sample()
	if err != nil {
		return err
	}
	pid, err := e.pid()
	if err != nil {
		return err
	}
	cpu, err := cpuTime(pid)
	if err != nil {
		return err
	}
	r := &e.row
	r.RSSKB, r.PssKB, r.AnonKB = s.rss, s.pss, s.anon
	e.mem.add(s)
	mean := e.mem.mean()
	r.PssMeanKB, r.AnonMeanKB, r.AnonMaxKB = mean.pss, mean.anon, e.mem.max.anon
	r.CPUPerMin = (cpu - e.cpu0).Seconds() / wall.Minutes()
	r.GCPerMin = e.gc.perMinute()
	if e.query != nil {
		r.Status = fmt.Sprintf("%d ok", e.ok)
		if len(e.failed) > 0 {
			r.Status += fmt.Sprintf(", %d failed (first: %s)", len(e.failed), e.failed[0])
		}
	}
	return nil
}

// sample reads VmRSS from status and Pss and Anonymous from smaps_rollup.
func (e *entrant) sample() (memSample, error) {
	pid, err := e.pid()
	if err != nil {
		return memSample{}, err
	}
	rollup, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return memSample{}, fmt.Errorf("%s: read smaps_rollup: %w", e.row.Name, err)
	}
	s, err := rollupSample(string(rollup))
	if err != nil {
		return s, fmt.Errorf("%s: %w", e.row.Name, err)
	}
	if s.rss, err = rssKB(pid); err != nil {
		return s, fmt.Errorf("%s: %w", e.row.Name, err)
	}
	return s, nil
}
