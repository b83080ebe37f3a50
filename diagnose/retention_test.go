package diagnose

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// captureN writes n bundles through Capture and returns their names.
func captureN(t *testing.T, c *Capturer, n int) []string {
	t.Helper()
	var names []string
	for range n {
		dir, err := c.Capture(context.Background(), os.Getpid(), "health", time.Time{})
		if dir == "" {
			t.Fatalf("Capture() wrote no bundle: %v", err)
		}
		names = append(names, filepath.Base(dir))
	}
	return names
}

// tickingClock returns a Now that moves by step on every call.
func tickingClock(start time.Time, step time.Duration) func() time.Time {
	now := start
	return func() time.Time { now = now.Add(step); return now }
}

// entries lists dir's names, sorted.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func sorted(names ...string) []string { return slices.Sorted(slices.Values(names)) }

func readMarkerFile(t *testing.T, bundle string) marker {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bundle, markerName))
	if err != nil {
		t.Fatal(err)
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v\n%s", markerName, err, b)
	}
	return m
}

// plant makes a directory with evidence inside, as someone else might.
func plant(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, "evidence"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRetentionIgnoresFutureNames is issue 12's case: 8 real bundles with
// Keep=3 beside 2 planted directories named in 2099. By name, the planted
// ones were the newest and only 1 real bundle survived; by sequence the 3
// newest real ones do, and the planted ones are neither counted nor
// touched.
func TestRetentionIgnoresFutureNames(t *testing.T) {
	cfg, _ := testConfig(t)
	cfg.Keep = 3
	cfg.Now = tickingClock(time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC), time.Second)
	planted := []string{"20991231T235959.000Z-pid1-health", "20991231T235959.999Z-pid2-deep"}
	for _, p := range planted {
		plant(t, cfg.Dir, p)
	}
	written := captureN(t, New(cfg), 8)
	want := sorted(append([]string{seqName}, append(planted, written[5:]...)...)...)
	if got := entries(t, cfg.Dir); !slices.Equal(got, want) {
		t.Fatalf("after 8 captures with Keep=3: %v, want %v", got, want)
	}
	for _, p := range planted {
		if got := entries(t, filepath.Join(cfg.Dir, p)); !slices.Equal(got, []string{"evidence"}) {
			t.Errorf("planted %s now holds %v, want it untouched", p, got)
		}
	}
	for i, n := range written[5:] {
		m := readMarkerFile(t, filepath.Join(cfg.Dir, n))
		if m.Seq != uint64(6+i) || m.PID != os.Getpid() || m.HsupPID != os.Getpid() || m.Written.IsZero() {
			t.Errorf("%s: marker %+v, want seq %d, pid and hsup_pid %d, a time", n, m, 6+i, os.Getpid())
		}
	}
}

// TestRetentionFindsRenamedBundle: a bundle renamed to a future time is
// still found by its marker and goes when its sequence says so.
func TestRetentionFindsRenamedBundle(t *testing.T) {
	cfg, _ := testConfig(t)
	cfg.Keep = 3
	cfg.Now = tickingClock(time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC), time.Second)
	c := New(cfg)
	first := captureN(t, c, 3)
	renamed := "20991231T000000.000Z-pid1-health"
	if err := os.Rename(filepath.Join(cfg.Dir, first[0]), filepath.Join(cfg.Dir, renamed)); err != nil {
		t.Fatal(err)
	}
	last := captureN(t, c, 1)
	want := sorted(seqName, first[1], first[2], last[0])
	if got := entries(t, cfg.Dir); !slices.Equal(got, want) {
		t.Fatalf("after renaming bundle 1 to %s and a 4th capture with Keep=3: %v, want %v", renamed, got, want)
	}
}

// TestRetentionClockSteppedBack: bundles written after the wall clock
// stepped back have older names but higher sequence numbers; they are the
// ones kept.
func TestRetentionClockSteppedBack(t *testing.T) {
	cfg, _ := testConfig(t)
	cfg.Keep = 2
	cfg.Now = tickingClock(time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC), -time.Hour)
	names := captureN(t, New(cfg), 5)
	if names[4] >= names[3] {
		t.Fatalf("names %v: want each older than the one before", names)
	}
	want := sorted(seqName, names[3], names[4])
	if got := entries(t, cfg.Dir); !slices.Equal(got, want) {
		t.Fatalf("after 5 captures, clock going back, Keep=2: %v, want %v", got, want)
	}
}

// TestSequenceRecovers: whatever happened to the counter file, the next
// bundle's number follows the highest marker, and the counter is
// rewritten.
func TestSequenceRecovers(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, path string)
	}{
		{name: "corrupt", spoil: func(t *testing.T, path string) { writeFile(t, path, "garbage\n") }},
		{name: "empty", spoil: func(t *testing.T, path string) { writeFile(t, path, "") }},
		{name: "overflowing", spoil: func(t *testing.T, path string) { writeFile(t, path, "18446744073709551615\n") }},
		{name: "behind", spoil: func(t *testing.T, path string) { writeFile(t, path, "1\n") }},
		{name: "missing", spoil: func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a directory", spoil: func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := testConfig(t)
			cfg.Keep = 5
			captureN(t, New(cfg), 3)
			tt.spoil(t, filepath.Join(cfg.Dir, seqName))
			next := captureN(t, New(cfg), 1) // a restarted hsup
			if m := readMarkerFile(t, filepath.Join(cfg.Dir, next[0])); m.Seq != 4 {
				t.Fatalf("marker seq %d after a %s counter, want 4", m.Seq, tt.name)
			}
			if b, err := os.ReadFile(filepath.Join(cfg.Dir, seqName)); tt.name != "a directory" && (err != nil || string(b) != "4\n") {
				t.Fatalf("counter %q (%v), want \"4\\n\"", b, err)
			}
		})
	}
}

// TestSequenceAcrossRestarts: a new Capturer (a restarted hsup) goes on
// from the counter even when every bundle is gone.
func TestSequenceAcrossRestarts(t *testing.T) {
	cfg, _ := testConfig(t)
	first := captureN(t, New(cfg), 2)
	for _, n := range first {
		if err := os.RemoveAll(filepath.Join(cfg.Dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	next := captureN(t, New(cfg), 1)
	if m := readMarkerFile(t, filepath.Join(cfg.Dir, next[0])); m.Seq != 3 {
		t.Fatalf("marker seq %d, want 3", m.Seq)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
