package main

import (
	"strings"
	"testing"
	"time"
)

func TestPssKB(t *testing.T) {
	const rollup = "00400000-7ffd0000 ---p 00000000 00:00 0  [rollup]\nRss:   9000 kB\nPss:   6120 kB\nPss_Anon:  5000 kB\n"
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{name: "rollup", in: rollup, want: 6120},
		{name: "no Pss", in: "Rss: 12 kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pssKB(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("pssKB = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestGaugeValue(t *testing.T) {
	const scrape = "# TYPE go_goroutines gauge\ngo_goroutines 17\ngo_goroutines_extra 3\n"
	tests := []struct {
		name    string
		metric  string
		want    float64
		wantErr bool
	}{
		{name: "present", metric: "go_goroutines", want: 17},
		{name: "prefix of another", metric: "go_gorout", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gaugeValue(scrape, tt.metric)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("gaugeValue(%q) = %v, %v; want %v, error %v", tt.metric, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestPlainWords(t *testing.T) {
	tests := []struct {
		name  string
		words []string
		want  bool
	}{
		{name: "paths and address", words: []string{"/tmp/hsup-bench-1/sup-2", "127.0.0.1:8787", "--state-dir"}, want: true},
		{name: "blank", words: []string{"/tmp/my dir"}, want: false},
		{name: "quote", words: []string{"it's"}, want: false},
		{name: "empty", words: []string{""}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainWords(tt.words...); got != tt.want {
				t.Errorf("plainWords(%q) = %v, want %v", tt.words, got, tt.want)
			}
		})
	}
}

func TestConfigs(t *testing.T) {
	argv := []string{"/b/hsup", "demo-app", "--addr", "127.0.0.1:9", "--state-dir", "/d/it's"}
	tests := []struct {
		name string
		got  string
		want []string
	}{
		{name: "run script execs the child", got: runScript(argv),
			want: []string{"#!/bin/sh\n", "exec '/b/hsup' 'demo-app'", `'/d/it'\''s'`}},
		{name: "supervisord restarts at once", got: supervisordConf("/d", argv),
			want: []string{"nodaemon=true", "autorestart=true", "startsecs=0", "command='/b/hsup' 'demo-app'"}},
		{name: "monit tightest check", got: monitConf("/d", 9, argv[:4]),
			want: []string{"set daemon 1\n", "with pidfile /d/demo.pid", "port 9 protocol http request \"/health\" with timeout 1 seconds for 2 cycles then restart",
				"start program = \"/bin/sh -c '/b/hsup demo-app --addr 127.0.0.1:9 >/d/demo.log 2>&1 & echo $! >/d/demo.pid'\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.want {
				if !strings.Contains(tt.got, w) {
					t.Errorf("config lacks %q:\n%s", w, tt.got)
				}
			}
		})
	}
}

func TestWedgeBudget(t *testing.T) {
	tests := []struct {
		name              string
		failures          int
		interval, timeout time.Duration
		want              time.Duration
	}{
		{name: "tight", failures: 2, interval: time.Second, timeout: time.Second, want: 3 * time.Second},
		{name: "hsup defaults", failures: 3, interval: 5 * time.Second, timeout: 2 * time.Second, want: 17 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wedgeBudget(tt.failures, tt.interval, tt.timeout); got != tt.want {
				t.Errorf("wedgeBudget = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	rep := PeersReport{
		Restart: []TimingRow{{Name: rowHsup, MS: []float64{10}, Median: 10}, {Name: peerRunit.name, MS: []float64{20}, Median: 20}},
		Wedge:   []TimingRow{{Name: rowHsupTight, MS: []float64{4000}, Median: 4000}, {Name: peerMonit.name, MS: []float64{6000}, Median: 6000}},
		Idle: []IdleRow{{Name: rowHsup, RSSKB: 10 * 1024, CPUPerMin: 0.01},
			{Name: peerSupervisord.name, RSSKB: 20 * 1024}},
		Hygiene: &Hygiene{Rows: []HygieneRow{{What: "open FDs", Before: 9, AfterRestarts: 9},
			{What: "goroutines", Before: 12, AfterRestarts: 13}, {What: "VmRSS kB", Before: 1, AfterRestarts: 2}}},
	}
	want := map[string]bool{
		"restart latency hsup/runit <= 1.0":         true,
		"wedge to recovery >= 2x faster than monit": false,
		"hsup VmRSS <= 8 MiB":                       false,
		"hsup CPU < 0.05 s per minute at 1 probe/s": true,
		"hsup VmRSS <= 1/4 of supervisord's":        false,
		"zero open FDs growth":                      true,
		"zero goroutines growth":                    false,
	}
	got := rep.targets()
	if len(got) != len(want) {
		t.Fatalf("got %d targets, want %d: %+v", len(got), len(want), got)
	}
	for _, tg := range got {
		t.Run(tg.What, func(t *testing.T) {
			if met, ok := want[tg.What]; !ok || met != tg.Met {
				t.Errorf("target %q met=%v (%s); want known target, met=%v", tg.What, tg.Met, tg.Figure, met)
			}
		})
	}
	t.Run("skipped peer leaves its target out", func(t *testing.T) {
		r := PeersReport{Restart: []TimingRow{{Name: rowHsup, MS: []float64{10}, Median: 10}, {Name: peerRunit.name, Skipped: "x"}}}
		if got := r.targets(); len(got) != 0 {
			t.Errorf("targets with runit skipped = %+v, want none", got)
		}
	})
}
