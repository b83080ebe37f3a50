package main

import (
	"testing"
	"time"

	"github.com/hsup/hsup/doctor"
	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/supervise"
)

func TestVerdictFacts(t *testing.T) {
	at := time.Date(2026, 5, 1, 10, 0, 10, 0, time.UTC)
	rec := func(kind healthcheck.Kind, sec int, r healthcheck.Result) healthcheck.Record {
		return healthcheck.Record{Kind: kind, At: at.Add(time.Duration(sec) * time.Second), Result: r, Duration: 1500 * time.Microsecond}
	}
	hist := []healthcheck.Record{
		rec(healthcheck.Cheap, -9, healthcheck.OK),
		rec(healthcheck.Deep, -8, healthcheck.Degraded),
		rec(healthcheck.Cheap, -6, healthcheck.Timeout),
		rec(healthcheck.Deep, -5, healthcheck.Degraded),
		rec(healthcheck.Cheap, -4, healthcheck.Timeout),
		rec(healthcheck.Cheap, -2, healthcheck.Refused),
	}
	budgets := []doctor.Budget{{Class: "cheap", Worst: 17 * time.Second}, {Class: "deep", Worst: 130 * time.Second},
		{Class: "heartbeat", Worst: 35 * time.Second}, {Class: "busy", Off: true}, {Class: "startup", Worst: 65 * time.Second}}
	st := supervise.Status{StartedAt: at.Add(-time.Minute), HeartbeatAdvancedAt: at.Add(-31 * time.Second), ProbeFailures: 7}
	cases := []struct {
		reason   string
		hist     []healthcheck.Record
		failures int
		first    time.Duration
		budget   time.Duration
	}{
		{reason: "health", hist: hist, failures: 3, first: 6 * time.Second, budget: 17 * time.Second},
		{reason: "deep", hist: hist, failures: 2, first: 8 * time.Second, budget: 130 * time.Second},
		{reason: "busy", hist: hist, failures: 3, first: 6 * time.Second}, // busy off: no budget
		{reason: "heartbeat", hist: hist, first: 31 * time.Second, budget: 35 * time.Second},
		{reason: "startup", hist: hist, first: time.Minute, budget: 65 * time.Second},
		{reason: "fd_pressure", hist: hist},
		{reason: "manual", hist: hist},
		{reason: "health", failures: 7, budget: 17 * time.Second}, // no history: the published count, no times
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			f := verdictFacts(c.reason, at, c.hist, st, budgets)
			if f.Failures != c.failures || f.FirstFailure != c.first || f.Budget != c.budget {
				t.Errorf("facts failures %d first %v budget %v, want %d %v %v", f.Failures, f.FirstFailure, f.Budget, c.failures, c.first, c.budget)
			}
			if len(f.Probes) != len(c.hist) {
				t.Fatalf("%d probes, want %d", len(f.Probes), len(c.hist))
			}
			if len(f.Probes) > 0 && (f.Probes[0].Kind != "cheap" || f.Probes[0].LatencyMS != 1.5 || f.Probes[0].At == "") {
				t.Errorf("first probe %+v", f.Probes[0])
			}
		})
	}
}

func TestVerdictFactsKeepsTheLastProbes(t *testing.T) {
	var hist []healthcheck.Record
	for i := range 25 {
		hist = append(hist, healthcheck.Record{Kind: healthcheck.Cheap, Status: 200 + i, Result: healthcheck.OK})
	}
	f := verdictFacts("health", time.Now(), hist, supervise.Status{}, nil)
	if len(f.Probes) != ledgerProbes || f.Probes[len(f.Probes)-1].Status != 224 {
		t.Errorf("probes %+v, want the last %d", f.Probes, ledgerProbes)
	}
}
