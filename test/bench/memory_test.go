package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRollupSample(t *testing.T) {
	// The layout of /proc/PID/smaps_rollup on Linux 6.18 (this machine).
	const rollup = `00400000-7ffc8f1d9000 ---p 00000000 00:00 0                          [rollup]
Rss:               10240 kB
Pss:                8046 kB
Pss_Dirty:          2324 kB
Pss_Anon:           2304 kB
Pss_File:           5742 kB
Pss_Shmem:             0 kB
Shared_Clean:       4400 kB
Anonymous:          2304 kB
Swap:                  0 kB
`
	tests := []struct {
		name    string
		in      string
		want    memSample
		wantErr bool
	}{
		{name: "rollup", in: rollup, want: memSample{rss: 10240, pss: 8046, anon: 2304}},
		{name: "no Anonymous", in: "Rss: 12 kB\nPss: 10 kB\n", wantErr: true},
		{name: "garbled", in: "Rss: x kB\nPss: 10 kB\nAnonymous: 1 kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rollupSample(tt.in)
			if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
				t.Errorf("rollupSample = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestMemoryTargets(t *testing.T) {
	tests := []struct {
		name string
		rows []MemoryRow
		want []bool // met, per target; nil: no targets
	}{
		{name: "both met", rows: []MemoryRow{{Name: rowRelease, PssKB: 12 * 1024, AnonKB: 3584}}, want: []bool{true, true}},
		{name: "both missed", rows: []MemoryRow{{Name: rowRelease, PssKB: 12*1024 + 1, AnonKB: 3585}}, want: []bool{false, false}},
		{name: "other rows do not count", rows: []MemoryRow{{Name: "go build", PssKB: 1, AnonKB: 1}}},
		{name: "skipped", rows: []MemoryRow{{Name: rowRelease, Skipped: "no"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&MemoryReport{Rows: tt.rows}).targets()
			if len(got) != len(tt.want) {
				t.Fatalf("targets %+v, want %d", got, len(tt.want))
			}
			for i, tg := range got {
				if tg.Met != tt.want[i] {
					t.Errorf("%s: met %v, want %v (%s)", tg.What, tg.Met, tt.want[i], tg.Figure)
				}
			}
		})
	}
}

func TestMemoryBuilds(t *testing.T) {
	if b := memoryBuilds(false); len(b) != 1 || b[0].Name != rowRelease || !b[0].Release {
		t.Fatalf("without remedies: %+v, want the release build alone", b)
	}
	want := []string{
		"go build GOMEMLIMIT=off",
		"go build",
		"go build -tags=urfave_cli_no_docs",
		"go build -tags=urfave_cli_no_docs,nethttpomithttp2",
		"CGO_ENABLED=0 go build -trimpath -ldflags=-s -w -tags=urfave_cli_no_docs,nethttpomithttp2",
		"scripts/release.sh",
		"scripts/release.sh GOMEMLIMIT=off",
		"scripts/release.sh GOMEMLIMIT=10MiB",
		"scripts/release.sh GOMEMLIMIT=8MiB",
		"scripts/release.sh GOMEMLIMIT=6MiB",
	}
	var got []string
	for _, b := range memoryBuilds(true) {
		got = append(got, b.settings())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("remedy builds:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestReleaseScriptFlags: the memory part's builds that stand for the
// release build use scripts/release.sh's flags (test/e2e runs the script).
func TestReleaseScriptFlags(t *testing.T) {
	b, err := os.ReadFile("../../scripts/release.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{
		`(?m)^tags=` + regexp.QuoteMeta(strings.Join(releaseTags, ",")) + `$`,
		`(?m)^ldflags="-s -w -X main\.version=\$version"$`,
		`(?m)^\s*CGO_ENABLED=0 GOOS=\$goos GOARCH=\$goarch go build -trimpath -tags "\$tags" -ldflags "\$ldflags" `,
	} {
		if !regexp.MustCompile(re).Match(b) {
			t.Errorf("scripts/release.sh has no line matching %s", re)
		}
	}
}

func TestMemoryPrint(t *testing.T) {
	m := &MemoryReport{Seconds: 600, ScrapeSeconds: 15, Rows: []MemoryRow{
		{Name: rowRelease, Process: "hsup", Settings: "scripts/release.sh", RSSKB: 10240, PssKB: 8192, AnonKB: 2048,
			PssMeanKB: 8300, AnonMeanKB: 2060, AnonMaxKB: 2100, CPUPerMin: 0.012, GCPerMin: 2.5, Status: "41 ok"},
		{Name: "monit", Skipped: "monit not on PATH"},
	}}
	m.Targets = m.targets()
	var buf bytes.Buffer
	m.print(&buf)
	for _, want := range []string{
		"## Memory at steady state (10m0s, status queried every 15s;",
		"| hsup (release build) | hsup | `scripts/release.sh` | 10.0 MiB | 8.0 MiB | 2.0 MiB | 8.1 MiB | 2.0 MiB | 2.1 MiB | 0.012 | 2.5 | 41 ok |",
		"| monit | | | | | | | | | | | monit not on PATH |",
		"| hsup Pss <= 12 MiB | 8.00 MiB (8192 KiB) | met |",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestOverFloor(t *testing.T) {
	rel := MemoryRow{Name: rowRelease, PssKB: 11500, AnonKB: 3600, AnonMeanKB: 3620}
	floor := MemoryRow{Name: rowFloor, PssKB: 9000, AnonKB: 3150, AnonMeanKB: 3160}
	tests := []struct {
		name string
		rows []MemoryRow
		want *FloorGap
	}{
		{"both", []MemoryRow{rel, {Name: "monit", PssKB: 4000, AnonKB: 1400}, floor},
			&FloorGap{AnonKB: 450, AnonMeanKB: 460, PssKB: 2500, FloorKB: 3150}},
		{"no floor", []MemoryRow{rel}, nil},
		{"floor skipped", []MemoryRow{rel, {Name: rowFloor, Skipped: "failed"}}, nil},
		{"no release build", []MemoryRow{floor}, nil},
	}
	for _, tt := range tests {
		m := &MemoryReport{Rows: tt.rows}
		got := m.overFloor()
		if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("%s: overFloor = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	m := &MemoryReport{Rows: []MemoryRow{rel, floor}}
	m.OverFloor = m.overFloor()
	var buf bytes.Buffer
	m.print(&buf)
	want := "hsup's release build holds +450 KiB anonymous at the end (+460 KiB on the mean) and +2500 KiB of Pss"
	if !strings.Contains(buf.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, buf.String())
	}
}

func TestGCRate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		reads []float64 // one every 15 s
		want  float64
	}{
		{name: "none", want: 0},
		{name: "one reading", reads: []float64{7}, want: 0},
		{name: "steady", reads: []float64{10, 11, 12, 13, 14}, want: 4}, // 4 cycles in 1 min
		{name: "busy", reads: []float64{0, 90}, want: 360},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g gcRate
			for i, n := range tt.reads {
				g.add(n, t0.Add(time.Duration(i)*15*time.Second))
			}
			if got := g.perMinute(); got != tt.want {
				t.Errorf("perMinute = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMemSeries(t *testing.T) {
	var m memSeries
	if m.mean() != (memSample{}) {
		t.Fatalf("mean of nothing = %+v, want zero", m.mean())
	}
	for _, s := range []memSample{{rss: 10, pss: 8, anon: 4}, {rss: 12, pss: 9, anon: 7}, {rss: 11, pss: 9, anon: 5}} {
		m.add(s)
	}
	if got, want := m.mean(), (memSample{rss: 11, pss: 9, anon: 5}); got != want { // 8.67 and 5.33 rounded
		t.Errorf("mean = %+v, want %+v", got, want)
	}
	if got, want := m.max, (memSample{rss: 12, pss: 9, anon: 7}); got != want {
		t.Errorf("max = %+v, want %+v", got, want)
	}
}
