package main

import (
	"fmt"
	"io"
	"strings"
)

// PeersReport holds the parts that run hsup beside other supervisors over
// the same child (the demo app), plus hsup's own hygiene.
type PeersReport struct {
	RestartRuns int         `json:"restart_runs,omitempty"`
	Restart     []TimingRow `json:"restart,omitempty"`
	WedgeRuns   int         `json:"wedge_runs,omitempty"`
	Wedge       []TimingRow `json:"wedge,omitempty"`
	FloorMS     []float64   `json:"child_boot_ms,omitempty"` // demo-app exec -> first /health 200
	Floor       float64     `json:"child_boot_median_ms,omitempty"`
	IdleSeconds float64     `json:"idle_seconds,omitempty"`
	Idle        []IdleRow   `json:"idle,omitempty"`
	Hygiene     *Hygiene    `json:"hygiene,omitempty"`
	Targets     []Target    `json:"targets,omitempty"`
}

// TimingRow is one supervisor's series: restart latency (kill -9 -> new
// child answers /health) or wedge recovery (POST noaccept -> new child
// answers /health), in milliseconds.
type TimingRow struct {
	Name     string    `json:"name"`
	Flags    string    `json:"flags,omitempty"`
	Skipped  string    `json:"skipped,omitempty"`
	MS       []float64 `json:"ms,omitempty"`
	Median   float64   `json:"median_ms,omitempty"`
	BudgetMS float64   `json:"budget_ms,omitempty"`   // wedge: failures x interval + timeout
	Overhead float64   `json:"overhead_ms,omitempty"` // wedge: median - budget - child boot
	Ratio    float64   `json:"hsup_ratio,omitempty"`  // hsup's median / this row's
}

// IdleRow is one supervisor process over the idle window.
type IdleRow struct {
	Name      string  `json:"name"`
	Process   string  `json:"process,omitempty"`
	Skipped   string  `json:"skipped,omitempty"`
	RSSKB     int64   `json:"vmrss_kb,omitempty"`
	PssKB     int64   `json:"pss_kb,omitempty"`
	CPU       float64 `json:"cpu_seconds,omitempty"`
	CPUPerMin float64 `json:"cpu_seconds_per_minute,omitempty"`
}

// Hygiene is hsup's own resources before and after a probe storm and a
// run of restarts.
type Hygiene struct {
	Probes   float64      `json:"probes"`
	Restarts int          `json:"restarts"`
	Rows     []HygieneRow `json:"rows"`
	Flags    string       `json:"flags"`
}

// HygieneRow is one resource: before, after the probes, after the restarts.
type HygieneRow struct {
	What          string  `json:"what"`
	Before        float64 `json:"before"`
	AfterProbes   float64 `json:"after_probes"`
	AfterRestarts float64 `json:"after_restarts"`
}

// Target is one of the brief's targets and whether this run met it.
type Target struct {
	What   string `json:"what"`
	Figure string `json:"figure"`
	Met    bool   `json:"met"`
}

func (p *PeersReport) print(w io.Writer) {
	if len(p.Restart) > 0 {
		fmt.Fprintf(w, "## Restart latency beside peers (median of %d, alternating; kill -9 of the child -> new child answers /health)\n\n", p.RestartRuns)
		printTimings(w, p.Restart, false)
	}
	if len(p.Wedge) > 0 {
		fmt.Fprintf(w, "## Wedge (POST /demo/noaccept) to recovery beside monit (median of %d, alternating)\n\n", p.WedgeRuns)
		fmt.Fprintf(w, "Child boot floor (demo-app exec -> first /health 200): median %.0f ms of %d.  \n", p.Floor, len(p.FloorMS))
		fmt.Fprintf(w, "Overhead = recovery - budget (failures x interval + timeout) - boot floor.\n\n")
		printTimings(w, p.Wedge, true)
	}
	if len(p.Idle) > 0 {
		p.printIdle(w)
	}
	if p.Hygiene != nil {
		p.printHygiene(w)
	}
	if len(p.Targets) > 0 {
		fmt.Fprintf(w, "## Targets\n\n| target | this run | |\n|---|---|---|\n")
		for _, t := range p.Targets {
			fmt.Fprintf(w, "| %s | %s | %s |\n", t.What, t.Figure, map[bool]string{true: "met", false: "MISSED"}[t.Met])
		}
		fmt.Fprintln(w)
	}
}

func printTimings(w io.Writer, rows []TimingRow, wedge bool) {
	if wedge {
		fmt.Fprintf(w, "| supervisor | settings | median ms | budget ms | overhead ms | hsup/peer | runs (ms) |\n|---|---|---:|---:|---:|---:|---|\n")
	} else {
		fmt.Fprintf(w, "| supervisor | settings | median ms | hsup/peer | runs (ms) |\n|---|---|---:|---:|---|\n")
	}
	for _, r := range rows {
		if r.Skipped != "" {
			fmt.Fprintf(w, "| %s | %s | | | %s |\n", r.Name, r.Flags, r.Skipped)
			continue
		}
		ratio := ""
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", r.Ratio)
		}
		if wedge {
			fmt.Fprintf(w, "| %s | `%s` | %.0f | %.0f | %+.0f | %s | %s |\n", r.Name, r.Flags, r.Median, r.BudgetMS, r.Overhead, ratio, joinMS(r.MS))
		} else {
			fmt.Fprintf(w, "| %s | `%s` | %.1f | %s | %s |\n", r.Name, r.Flags, r.Median, ratio, joinMS(r.MS))
		}
	}
	fmt.Fprintln(w)
}

func (p *PeersReport) printIdle(w io.Writer) {
	fmt.Fprintf(w, "## Idle overhead of the supervisor process over %.0f s (all side by side, same child)\n\n", p.IdleSeconds)
	fmt.Fprintf(w, "| supervisor | process | VmRSS | Pss | CPU s | CPU s / min |\n|---|---|---:|---:|---:|---:|\n")
	for _, r := range p.Idle {
		if r.Skipped != "" {
			fmt.Fprintf(w, "| %s | | | | | %s |\n", r.Name, r.Skipped)
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %.1f MiB | %.1f MiB | %.2f | %.3f |\n", r.Name, r.Process,
			float64(r.RSSKB)/1024, float64(r.PssKB)/1024, r.CPU, r.CPUPerMin)
	}
	fmt.Fprintln(w)
}

func (p *PeersReport) printHygiene(w io.Writer) {
	h := p.Hygiene
	fmt.Fprintf(w, "## hsup's own hygiene (%.0f probes, then %d restarts)\n\nFlags: `%s`\n\n", h.Probes, h.Restarts, h.Flags)
	fmt.Fprintf(w, "| resource | before | after probes | after restarts | delta |\n|---|---:|---:|---:|---:|\n")
	for _, r := range h.Rows {
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.0f | %+.0f |\n", r.What, r.Before, r.AfterProbes, r.AfterRestarts, r.AfterRestarts-r.Before)
	}
	fmt.Fprintln(w)
}

func joinMS(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(s, ", ")
}
