package doctor

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Write prints the report for an operator.
func (r Report) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	p("Worst-case detection time (failure start to restart decision):\n")
	for _, b := range r.Budgets {
		if b.Off {
			p("  %s\toff\t\n", b.Class)
			continue
		}
		p("  %s\t%s\t(%s)\n", b.Class, b.Worst, b.Formula)
	}
	p("\nChild RLIMIT_NOFILE: %s\n", r.Nofile)
	p("\nDiagnostics collectors:\n")
	for _, c := range r.Collectors {
		state := "missing"
		if c.Available {
			state = "found"
		}
		p("  %s\t%s\t%s\n", c.Name, state, c.Purpose)
	}
	m := r.Manager
	p("\nService manager: %s (%s)", m.Name, m.Evidence)
	if m.StopTimeout > 0 {
		p(", stop timeout %s", m.StopTimeout)
	}
	if m.Watchdog > 0 {
		p(", watchdog %s (hsup pings every %s)", m.Watchdog, m.Watchdog/2)
	}
	p("\n")
	if l := r.Launchd; l.GUISession != "" {
		if l.Domain != "" {
			p("  launchd domain\t%s (%s)\n", l.Domain, l.DomainWhy)
		} else {
			p("  launchd domain\tnone: not a launchd job; %s\n", l.Install)
		}
		p("  GUI session\t%s (%s)\n", l.GUISession, l.GUIEvidence)
	}
	if len(r.Warnings) == 0 {
		p("\nNo warnings.\n")
	} else {
		p("\nWarnings:\n")
		for _, s := range r.Warnings {
			p("  - %s\n", s)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write doctor report: %w", err)
	}
	return nil
}
