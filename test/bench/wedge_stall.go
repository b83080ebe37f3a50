package main

import (
	"fmt"
	"strings"
)

// wedgeStallTargets holds every other tight hsup row of the wedge part
// (the watch off, a 1 s stall) to the same 2x
// against monit as hsup (tight), so the table says which settings meet it.
func wedgeStallTargets(p *PeersReport) []Target {
	m := findTiming(p.Wedge, peerMonit.name)
	if m == nil {
		return nil
	}
	var out []Target
	for _, r := range p.Wedge {
		if r.Name == rowHsupTight || !strings.HasPrefix(r.Name, "hsup (tight") || r.Skipped != "" || len(r.MS) == 0 {
			continue
		}
		q := m.Median / r.Median
		out = append(out, Target{What: "wedge to recovery >= 2x faster than monit: " + r.Name, Met: q >= 2,
			Figure: fmt.Sprintf("%.2fx (%.0f ms vs %.0f ms)", q, r.Median, m.Median)})
	}
	return out
}
