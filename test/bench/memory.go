package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// memoryOptions are the flags of the memory part.
type memoryOptions struct {
	duration time.Duration // the steady-state window
	scrape   time.Duration // how often each supervisor's status is queried
	remedies bool          // add the hsup builds that measure each remedy
}

// Targets of the memory part, for the release build of hsup.
const (
	targetPssKB  = 12 * 1024
	targetAnonKB = 3584 // 3.5 MiB
)

// hsupBuild is one way of building and running hsup for the memory part.
// release builds go through scripts/release.sh; the others through `go
// build` with tags, CGO_ENABLED and ldflags as given. env is added to
// hsup's environment (the child inherits it too).
type hsupBuild struct {
	Name    string   `json:"name"`
	Release bool     `json:"release,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	NoCgo   bool     `json:"cgo_disabled,omitempty"`
	Strip   bool     `json:"stripped,omitempty"` // -trimpath -ldflags "-s -w"
	Env     []string `json:"env,omitempty"`
}

// rowRelease is the row the memory targets are checked against.
const rowRelease = "hsup (release build)"

// releaseTags are scripts/release.sh's; TestReleaseScriptFlags checks
// the script says the same.
var releaseTags = []string{"urfave_cli_no_docs", "nethttpomithttp2", "hsup_nopprof"}

// memoryBuilds is the hsup rows of the memory part: the release build,
// and with remedies, `go build` as it was before (no soft memory limit),
// then one remedy at a time up to the release build, plus the release
// build without its soft memory limit and with fixed limits (10 MiB and
// 8 MiB, the defaults before; 6 MiB, below the knee).
func memoryBuilds(remedies bool) []hsupBuild {
	rel := hsupBuild{Name: rowRelease, Release: true}
	if !remedies {
		return []hsupBuild{rel}
	}
	limit := func(l string) hsupBuild {
		return hsupBuild{Name: "release, GOMEMLIMIT=" + l, Release: true, Env: []string{"GOMEMLIMIT=" + l}}
	}
	return []hsupBuild{
		{Name: "go build, GOMEMLIMIT=off (before)", Env: []string{"GOMEMLIMIT=off"}},
		{Name: "go build (soft limit 7 MiB)"},
		{Name: "+ urfave_cli_no_docs", Tags: releaseTags[:1]},
		{Name: "+ nethttpomithttp2", Tags: releaseTags[:2]},
		{Name: "+ CGO_ENABLED=0 -trimpath -s -w", Tags: releaseTags[:2], NoCgo: true, Strip: true},
		rel, // + hsup_nopprof
		limit("off"), limit("10MiB"), limit("8MiB"), limit("6MiB"),
	}
}

// goFlags are the `go build` flags of a non-release build.
func (b hsupBuild) goFlags() []string {
	var args []string
	if b.Strip {
		args = append(args, "-trimpath", "-ldflags=-s -w")
	}
	if len(b.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(b.Tags, ","))
	}
	return args
}

// settings is how the row's build and environment read in the table.
func (b hsupBuild) settings() string {
	s := []string{"scripts/release.sh"}
	if !b.Release {
		s = append([]string{"go", "build"}, b.goFlags()...)
		if b.NoCgo {
			s = append([]string{"CGO_ENABLED=0"}, s...)
		}
	}
	return strings.Join(append(s, b.Env...), " ")
}

// MemoryReport is the memory part: every supervisor's memory after the
// steady-state window, side by side over the same child.
type MemoryReport struct {
	Seconds       float64     `json:"seconds"`
	ScrapeSeconds float64     `json:"scrape_seconds"`
	Rows          []MemoryRow `json:"rows"`
	Targets       []Target    `json:"targets,omitempty"`
	OverFloor     *FloorGap   `json:"over_floor,omitempty"`
}

// FloorGap is what the release build of hsup holds above the floor (an
// idle Go exporter with hsup's dependencies) in the same run: the cost of
// supervising, in kB.
type FloorGap struct {
	AnonKB     int64 `json:"anonymous_kb"`
	AnonMeanKB int64 `json:"anonymous_mean_kb"`
	PssKB      int64 `json:"pss_kb"`
	FloorKB    int64 `json:"floor_anonymous_kb"`
}

// MemoryRow is one supervisor process at the end of the window. The
// *MeanKB and *MaxKB fields are over the readings taken at every status
// query and at the end.
type MemoryRow struct {
	Name       string  `json:"name"`
	Settings   string  `json:"settings,omitempty"`
	Process    string  `json:"process,omitempty"`
	Skipped    string  `json:"skipped,omitempty"`
	RSSKB      int64   `json:"vmrss_kb,omitempty"`
	PssKB      int64   `json:"pss_kb,omitempty"`
	AnonKB     int64   `json:"anonymous_kb,omitempty"`
	PssMeanKB  int64   `json:"pss_mean_kb,omitempty"`
	AnonMeanKB int64   `json:"anonymous_mean_kb,omitempty"`
	AnonMaxKB  int64   `json:"anonymous_max_kb,omitempty"`
	CPUPerMin  float64 `json:"cpu_seconds_per_minute"`
	GCPerMin   float64 `json:"gc_cycles_per_minute,omitempty"` // hsup only, from its /metrics
	Status     string  `json:"status_queries,omitempty"`       // "12 ok", "none (...)"
}

// gcRate is a GC cycle count read at the first and the last scrape.
type gcRate struct {
	first, last float64
	t0, t1      time.Time
}

func (g *gcRate) add(n float64, at time.Time) {
	if g.t0.IsZero() {
		g.first, g.t0 = n, at
	}
	g.last, g.t1 = n, at
}

// perMinute is the rate between the first and the last reading; 0 with
// fewer than two.
func (g gcRate) perMinute() float64 {
	if !g.t1.After(g.t0) {
		return 0
	}
	return (g.last - g.first) / g.t1.Sub(g.t0).Minutes()
}

// memSample is one reading of a process's memory, in kB.
type memSample struct{ rss, pss, anon int64 }

// memSeries accumulates readings: their sum (for the mean) and maximum.
type memSeries struct {
	n        int64
	sum, max memSample
}

func (m *memSeries) add(s memSample) {
	m.n++
	m.sum = memSample{rss: m.sum.rss + s.rss, pss: m.sum.pss + s.pss, anon: m.sum.anon + s.anon}
	m.max = memSample{rss: max(m.max.rss, s.rss), pss: max(m.max.pss, s.pss), anon: max(m.max.anon, s.anon)}
}

// mean is the rounded mean of the readings; zero without any.
func (m memSeries) mean() memSample {
	if m.n == 0 {
		return memSample{}
	}
	avg := func(sum int64) int64 { return (sum + m.n/2) / m.n }
	return memSample{rss: avg(m.sum.rss), pss: avg(m.sum.pss), anon: avg(m.sum.anon)}
}

// rollupSample reads Rss, Pss and Anonymous from the text of
// /proc/PID/smaps_rollup (kB); VmRSS comes from /proc/PID/status.
func rollupSample(rollup string) (memSample, error) {
	var s memSample
	found := map[string]*int64{"Rss:": &s.rss, "Pss:": &s.pss, "Anonymous:": &s.anon}
	seen := 0
	sc := bufio.NewScanner(strings.NewReader(rollup))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		if p, ok := found[f[0]]; ok {
			v, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return s, fmt.Errorf("smaps_rollup %s %q: %w", f[0], f[1], err)
			}
			*p, seen = v, seen+1
		}
	}
	if seen != len(found) {
		return s, fmt.Errorf("smaps_rollup lacks one of Rss, Pss, Anonymous (kernel older than 4.14?)")
	}
	return s, nil
}

// targets checks the release build's figures against the targets.
func (m *MemoryReport) targets() []Target {
	for _, r := range m.Rows {
		if r.Name != rowRelease || r.Skipped != "" || r.PssKB == 0 {
			continue
		}
		return []Target{
			{What: "hsup Pss <= 12 MiB", Met: r.PssKB <= targetPssKB, Figure: exactMiB(r.PssKB)},
			{What: "hsup anonymous <= 3.5 MiB", Met: r.AnonKB <= targetAnonKB, Figure: exactMiB(r.AnonKB)},
		}
	}
	return nil
}

// overFloor compares the release build with the floor; nil without both.
func (m *MemoryReport) overFloor() *FloorGap {
	var rel, floor *MemoryRow
	for i, r := range m.Rows {
		switch {
		case r.Skipped != "" || r.PssKB == 0:
		case r.Name == rowRelease:
			rel = &m.Rows[i]
		case r.Name == rowFloor:
			floor = &m.Rows[i]
		}
	}
	if rel == nil || floor == nil {
		return nil
	}
	return &FloorGap{AnonKB: rel.AnonKB - floor.AnonKB, AnonMeanKB: rel.AnonMeanKB - floor.AnonMeanKB,
		PssKB: rel.PssKB - floor.PssKB, FloorKB: floor.AnonKB}
}

func mib(kb int64) string { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }

// exactMiB is a target's figure: to the KiB, as the rounded MiB of the
// table hides a miss by less than 50 KiB (3608 KiB reads 3.5 MiB).
func exactMiB(kb int64) string { return fmt.Sprintf("%.2f MiB (%d KiB)", float64(kb)/1024, kb) }

func (m *MemoryReport) print(w io.Writer) {
	fmt.Fprintf(w, "## Memory at steady state (%s, status queried every %s; all side by side, same child)\n\n",
		time.Duration(m.Seconds*float64(time.Second)), time.Duration(m.ScrapeSeconds*float64(time.Second)))
	fmt.Fprintf(w, "VmRSS counts every resident page the process maps, shared ones (its binary, libc) in full; "+
		"Pss divides each shared page among the processes that map it; Anonymous is the process's own heap and "+
		"stacks, the figure a leak grows. The first three are read at the end of the window; \"mean\" and \"max\" are over "+
		"the readings taken at every status query. GC / min: hsup's GC cycles a minute (its go_gc_duration_seconds_count).\n\n")
	fmt.Fprintf(w, "| supervisor | process | build / settings | VmRSS | Pss | Anonymous | Pss mean | Anonymous mean | Anonymous max | CPU s / min | GC / min | status queries |\n")
	fmt.Fprintf(w, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range m.Rows {
		if r.Skipped != "" {
			fmt.Fprintf(w, "| %s | | | | | | | | | | | %s |\n", r.Name, r.Skipped)
			continue
		}
		gc := ""
		if r.GCPerMin > 0 {
			gc = fmt.Sprintf("%.1f", r.GCPerMin)
		}
		fmt.Fprintf(w, "| %s | %s | `%s` | %s | %s | %s | %s | %s | %s | %.3f | %s | %s |\n", r.Name, r.Process, r.Settings,
			mib(r.RSSKB), mib(r.PssKB), mib(r.AnonKB), mib(r.PssMeanKB), mib(r.AnonMeanKB), mib(r.AnonMaxKB), r.CPUPerMin, gc, r.Status)
	}
	fmt.Fprintln(w)
	if len(m.Targets) > 0 {
		fmt.Fprintf(w, "| target (release build) | this run | |\n|---|---|---|\n")
		for _, t := range m.Targets {
			fmt.Fprintf(w, "| %s | %s | %s |\n", t.What, t.Figure, map[bool]string{true: "met", false: "MISSED"}[t.Met])
		}
		fmt.Fprintln(w)
	}
	if g := m.OverFloor; g != nil {
		fmt.Fprintf(w, "Over the floor (%s, %d KiB anonymous), hsup's release build holds %+d KiB anonymous "+
			"at the end (%+d KiB on the mean) and %+d KiB of Pss: what supervising costs.\n\n",
			rowFloor, g.FloorKB, g.AnonKB, g.AnonMeanKB, g.PssKB)
	}
}
