package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// stateCollector exposes hsup_child_state: 1 for the current state, 0 for
// every other state known so far. A state outside the pre-initialised set
// gets a series from its first appearance on.
type stateCollector struct {
	desc   *prometheus.Desc
	status func() Status

	mu    sync.Mutex
	known []string
}

func newStateCollector(states []string, status func() Status) *stateCollector {
	return &stateCollector{
		desc: prometheus.NewDesc("hsup_child_state",
			"1 for the supervisor's current child state, 0 for the others.", []string{"state"}, nil),
		status: status,
		known:  append([]string(nil), states...),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	current := c.status().State
	for _, s := range c.states(current) {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, boolFloat(s == current), s)
	}
}

// states returns the known states, adding current if it is new.
func (c *stateCollector) states(current string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.known {
		if s == current {
			return append([]string(nil), c.known...)
		}
	}
	if current != "" {
		c.known = append(c.known, current)
	}
	return append([]string(nil), c.known...)
}
