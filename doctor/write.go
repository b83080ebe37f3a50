package doctor

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// printer writes formatted text; Write hands it a tabwriter.
type printer func(format string, a ...any)

// Write prints the report for an operator.
func (r Report) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := printer(func(format string, a ...any) { fmt.Fprintf(tw, format, a...) })
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
		state, purpose := "missing", c.Purpose
		switch {
		case c.Available && c.Skipped != "":
			state, purpose = "skipped", purpose+": "+c.Skipped
		case c.Available:
			state = "found"
		}
		p("  %s\t%s\t%s\n", c.Name, state, purpose)
	}
	r.writeManager(p)
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

// writeManager prints the service manager and the launchd facts.
func (r Report) writeManager(p printer) {
	m, ls := r.Manager, r.LaunchdStop
	p("\nService manager: %s (%s)", m.Name, m.Evidence)
	// launchd's timeout gets its own line below, with its source.
	if m.StopTimeout > 0 && (m.Name != "launchd" || ls.Source == "") {
		p(", stop timeout %s", m.StopTimeout)
	}
	if m.Watchdog > 0 {
		p(", watchdog %s (hsup pings every %s)", m.Watchdog, m.Watchdog/2)
	}
	p("\n")
	switch {
	case ls.Forever:
		p("  launchd stop timeout\tnone (%s)\n", ls.Source)
	case ls.Source != "":
		p("  launchd stop timeout\t%s (%s)\n", ls.Timeout, ls.Source)
	}
	if l := r.Launchd; l.GUISession != "" {
		if l.Domain != "" {
			p("  launchd domain\t%s (%s)\n", l.Domain, l.DomainWhy)
		} else {
			p("  launchd domain\tnone: not a launchd job; %s\n", l.Install)
		}
		p("  GUI session\t%s (%s)\n", l.GUISession, l.GUIEvidence)
	}
}
