package main

import (
	"fmt"
	"io"
	"math"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// report is everything bench prints and writes as JSON.
type report struct {
	Date     string         `json:"date"`
	Uname    string         `json:"uname"`
	CPUModel string         `json:"cpu_model"`
	Cores    int            `json:"cores"`
	Go       string         `json:"go"`
	Runs     int            `json:"runs"`
	Flags    []string       `json:"detect_flags"`
	Detect   []DetectResult `json:"detect,omitempty"`
	CPU      *CPUResult     `json:"cpu,omitempty"`
	Diag     []DiagResult   `json:"diagnostics,omitempty"`
	Peers    *PeersReport   `json:"peers,omitempty"`
	Memory   *MemoryReport  `json:"memory,omitempty"` // memory.go
	Stall    *StallReport   `json:"stall,omitempty"`  // stall.go
}

func newReport(o options) report {
	uname, err := exec.Command("uname", "-srm").Output()
	if err != nil {
		uname = []byte("unknown")
	}
	return report{
		Date: time.Now().Format(time.RFC3339), Uname: strings.TrimSpace(string(uname)),
		CPUModel: cpuModel(), Cores: runtime.NumCPU(), Go: runtime.Version(), Runs: o.runs,
		Flags: short.args(),
	}
}

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "# hsup benchmark\n\n%s · %s · %s · %d cores · %s\n\n", r.Date, r.Uname, r.CPUModel, r.Cores, r.Go)
	if len(r.Detect) > 0 {
		r.printDetect(w)
	}
	if r.CPU != nil {
		c := r.CPU
		fmt.Fprintf(w, "## hsup's own cost (cheap probe every %v, deep probe off)\n\n", cpuInterval)
		fmt.Fprintf(w, "| probes | probes/s | hsup CPU s | CPU s / 1000 probes | hsup VmRSS |\n|---:|---:|---:|---:|---:|\n")
		fmt.Fprintf(w, "| %.0f | %.1f | %.2f | %.3f | %.1f MiB |\n\n", c.Probes, c.ProbesPerSec, c.CPUSeconds, c.Per1000, float64(c.RSSKB)/1024)
	}
	if len(r.Diag) > 0 {
		r.printDiag(w)
	}
	if r.Peers != nil {
		r.Peers.print(w)
	}
	if r.Memory != nil {
		r.Memory.print(w)
	}
	if r.Stall != nil {
		r.Stall.print(w)
	}
}

func (r report) printDetect(w io.Writer) {
	fmt.Fprintf(w, "## Detection and recovery (median of %d; ms from the POST that flips the switch)\n\n", r.Runs)
	fmt.Fprintf(w, "Flags: `%s`  \n", strings.Join(r.Flags, " "))
	fmt.Fprintf(w, "Detection: POST sent -> bench received hsup's \"child capturing\" line (\"child backoff\" for crash).  \n")
	fmt.Fprintf(w, "Recovery: POST sent -> a new child answered GET /health 200 (fresh connection every 10 ms).  \n")
	fmt.Fprintf(w, "Budget: failures x interval + timeout (freeze: stale + interval). The POST follows the \"child running\"\n"+
		"line, just after a probe, so the first failing probe comes a full interval later; modes whose probes\n"+
		"fail at once (reset, deep 503, busy 503) do not wait out the timeout and land about one timeout under.\n\n")
	fmt.Fprintf(w, "| mode | reason | budget | detection | overhead | recovery |\n|---|---|---:|---:|---:|---:|\n")
	for _, d := range r.Detect {
		fmt.Fprintf(w, "| %s | %s | %.0f | %.0f | %+.0f | %.0f |\n", d.Mode, strings.Join(uniq(d.Reasons), ","),
			d.BudgetMS, d.Detect, math.Round(d.Overhead)+0, d.Recover)
	}
	fmt.Fprintln(w)
}

func (r report) printDiag(w io.Writer) {
	fmt.Fprintf(w, "## Diagnostics capture (median of %d; \"ms\" of \"diagnostics bundle written\")\n\n", r.Runs)
	fmt.Fprintf(w, "| child FDs | measured | lsof on PATH | capture ms | runs (ms) | result |\n|---:|---:|---|---:|---|---|\n")
	for _, d := range r.Diag {
		runs := make([]string, len(d.MS))
		for i, v := range d.MS {
			runs[i] = fmt.Sprintf("%.0f", v)
		}
		fmt.Fprintf(w, "| %d | %d | %v | %.0f | %s | %s |\n", d.FDs, maxInt(d.Measured), d.Lsof, d.Median,
			strings.Join(runs, ", "), strings.Join(uniq(d.Results), "; "))
	}
	fmt.Fprintln(w)
}

func uniq(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func maxInt(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
