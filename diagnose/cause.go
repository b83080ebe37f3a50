package diagnose

import (
	"fmt"
	"strings"
)

// leakMin is the fewest descriptors on one file that the cause calls out:
// below it, the most-opened file is ordinary (a few log files, sockets).
const leakMin = 16

// cause is summary.json's one sentence: why the bundle was captured (the
// verdict's sentence), the app's failing readiness checks, and a file that
// holds at least half of the child's descriptors, which is what a leak
// looks like. Parts that are unknown are left out.
func cause(s Summary) string {
	var parts []string
	switch {
	case s.Verdict != nil && s.Verdict.Sentence != "":
		parts = append(parts, s.Verdict.Reason+": "+s.Verdict.Sentence)
	case s.Restart != nil && !*s.Restart:
		parts = append(parts, s.Reason+" (no restart: the child kept running)")
	default:
		parts = append(parts, s.Reason)
	}
	if len(s.FailingChecks) > 0 {
		checks := make([]string, 0, len(s.FailingChecks))
		for _, c := range s.FailingChecks {
			t := c.Name + " " + c.Status
			if c.Error != "" {
				t += " (" + c.Error + ")"
			}
			checks = append(checks, t)
		}
		parts = append(parts, "failing deep checks: "+strings.Join(checks, ", "))
	}
	if top, ok := s.Leak(); ok {
		parts = append(parts, fmt.Sprintf("%d of %d open descriptors point to %s", top.Count, *s.OpenFDs, top.Path))
	}
	return strings.Join(parts, "; ")
}

// Leak is the most-opened file when it holds at least half of the open
// descriptors and at least leakMin of them, which is what a leak looks
// like; ok is false otherwise.
func (s Summary) Leak() (top FileCount, ok bool) {
	if s.OpenFDs == nil || len(s.TopFiles) == 0 {
		return FileCount{}, false
	}
	top = s.TopFiles[0]
	return top, top.Count >= leakMin && 2*top.Count >= *s.OpenFDs
}
