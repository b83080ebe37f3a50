package main

import (
	"bufio"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// median of xs (mean of the middle two for an even count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// probeCount sums hsup_health_probes_total over every result of the given
// probe kind in a Prometheus text exposition.
func probeCount(exposition, probe string) (float64, error) {
	var sum float64
	found := false
	sc := bufio.NewScanner(strings.NewReader(exposition))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "hsup_health_probes_total{") || !strings.Contains(line, `probe="`+probe+`"`) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics line %q: %w", line, err)
		}
		sum, found = sum+v, true
	}
	if !found {
		return 0, fmt.Errorf("no hsup_health_probes_total{probe=%q} in the scrape; is --metrics-addr set?", probe)
	}
	return sum, nil
}

// psDuration parses ps(1)'s cumulative time, [[dd-]hh:]mm:ss[.cc].
func psDuration(s string) (time.Duration, error) {
	var days int64
	if d, rest, ok := strings.Cut(s, "-"); ok {
		n, err := strconv.ParseInt(d, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("ps time %q: %w", s, err)
		}
		days, s = n, rest
	}
	parts := strings.Split(s, ":")
	secs, err := strconv.ParseFloat(parts[len(parts)-1], 64)
	if err != nil || len(parts) > 3 {
		return 0, fmt.Errorf("ps time %q is not [[dd-]hh:]mm:ss", s)
	}
	total := time.Duration(secs*float64(time.Second)) + time.Duration(days)*24*time.Hour
	unit := time.Minute
	for i := len(parts) - 2; i >= 0; i, unit = i-1, time.Hour {
		n, err := strconv.ParseInt(parts[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("ps time %q: %w", s, err)
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}
