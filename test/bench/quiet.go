package main

import (
	"fmt"
	"io"
)

// targetIdleCPUPerMin is the bound on hsup's CPU per minute idle
// at its defaults with the accept-queue watch on.
const targetIdleCPUPerMin = 0.05

// QuietReport is the quiet part: hsups at their defaults over an idle
// demo app side by side, with the watch on and off.
type QuietReport struct {
	Seconds float64    `json:"seconds"`
	Rows    []QuietRow `json:"rows"`
	// Profile is `go tool pprof -top` of a further hsup (watch on,
	// --pprof) over the window's first minute; its CPU is not in Rows.
	Profile string `json:"pprof_top,omitempty"`
}

// QuietRow is one hsup over the idle window.
type QuietRow struct {
	Name      string  `json:"name"`
	Flags     string  `json:"flags"`
	Env       string  `json:"env,omitempty"`
	CPU       float64 `json:"cpu_seconds"` // hsup's own utime+stime over the window
	CPUPerMin float64 `json:"cpu_seconds_per_minute"`
	Lifeline  float64 `json:"lifeline_cpu_seconds"` // its `hsup lifeline` helper's, -1 when not found
	RSSKB     int64   `json:"vmrss_kb"`
	// From /metrics at the window's start and end.
	GCsPerMin     float64 `json:"gc_cycles_per_minute"`
	AllocKBPerMin float64 `json:"allocated_kib_per_minute"`
	Restarts      int     `json:"restarts"`
	Stalls        int     `json:"stalls"`
	Failures      int     `json:"probe_changes"`
}

// Row names the quiet targets refer to.
const (
	rowQuietOn  = "hsup defaults (watch on)"
	rowQuietOff = "hsup --accept-stall=0 (watch off)"
)

func (q *QuietReport) print(w io.Writer) {
	fmt.Fprintf(w, "## Idle at hsup's defaults over %.0f s, watch on and off side by side (plain `go build`)\n\n", q.Seconds)
	fmt.Fprintf(w, "Each hsup supervises its own idle demo app (no traffic but hsup's probes; /metrics listening, never scraped).\n"+
		"CPU: utime+stime of the hsup process from /proc/PID/stat over the window (10 ms ticks), after 10 s of settling;\n"+
		"its `hsup lifeline` helper process separately. GC cycles and bytes allocated: hsup's /metrics at the window's ends.\n"+
		"Probe failures (probe results that changed to a failure), stalls, restarts: its log from \"child running\" on.\n\n")
	fmt.Fprintf(w, "| hsup | CPU s | CPU s / min | GC cycles / min | allocated KiB / min | lifeline CPU s | VmRSS | probe failures | stalls | restarts |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range q.Rows {
		fmt.Fprintf(w, "| %s | %.2f | %.3f | %.1f | %.0f | %.2f | %.1f MiB | %d | %d | %d |\n", r.Name, r.CPU, r.CPUPerMin,
			r.GCsPerMin, r.AllocKBPerMin, r.Lifeline, float64(r.RSSKB)/1024, r.Failures, r.Stalls, r.Restarts)
	}
	fmt.Fprintln(w)
	if q.Profile != "" {
		fmt.Fprintf(w, "Where an idle hsup's CPU goes (watch on, --pprof, profiled over the window's first minute):\n\n```\n%s```\n\n", q.Profile)
	}
}

func (q *QuietReport) targets() []Target {
	var out []Target
	for _, r := range q.Rows {
		out = append(out, Target{What: "zero restarts idle: " + r.Name, Met: r.Restarts == 0 && r.Stalls == 0,
			Figure: fmt.Sprintf("%d restarts, %d stalls in %.0f s", r.Restarts, r.Stalls, q.Seconds)})
		if r.Name == rowQuietOn {
			out = append(out, Target{What: fmt.Sprintf("hsup CPU < %.2f s per minute idle at defaults, watch on", targetIdleCPUPerMin),
				Met: r.CPUPerMin < targetIdleCPUPerMin, Figure: fmt.Sprintf("%.3f s/min", r.CPUPerMin)})
		}
	}
	return out
}
