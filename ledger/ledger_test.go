package ledger

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hsup/hsup/supervise"
)

func open(t *testing.T, cfg Config) *Ledger {
	t.Helper()
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func closeLedger(t *testing.T, l *Ledger) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func seqs(es []Entry) []int64 {
	var out []int64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func TestSeqContinuesAcrossOpens(t *testing.T) {
	dir := t.TempDir()
	l := open(t, Config{Dir: dir, Name: "web"})
	l.Append(Entry{Event: EventHsupStarted, Version: "v1"})
	l.Observe(supervise.ChildStarted{At: time.Now(), Pid: 7})
	l.Observe(supervise.TreeChanged{At: time.Now()}) // not recorded: no seq used
	if got := l.LastSeq(); got != 2 {
		t.Fatalf("LastSeq = %d, want 2", got)
	}
	closeLedger(t, l)

	l = open(t, Config{Dir: dir, Name: "web"})
	if got := l.LastSeq(); got != 2 {
		t.Fatalf("reopened LastSeq = %d, want 2", got)
	}
	l.Observe(supervise.Exiting{At: time.Now(), Code: 0})
	closeLedger(t, l)

	es, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(seqs(es)); got != "[1 2 3]" {
		t.Fatalf("seqs %s, want [1 2 3]", got)
	}
	for _, e := range es {
		if e.Name != "web" || e.Time().IsZero() {
			t.Errorf("line without name or time: %+v", e)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("ledger file mode: %v %v, want 0600", fi.Mode(), err)
	}
}

// TestTornLastLine: an hsup that died mid-write left half a line; the next
// one continues the seq of the last whole line, starts on a line of its
// own, and Read skips the torn one.
func TestTornLastLine(t *testing.T) {
	dir := t.TempDir()
	torn := `{"seq":1,"ts":"2026-05-01T10:00:00.000Z","event":"hsup_started","name":"web"}` + "\n" +
		`{"seq":2,"ts":"2026-05-01T10:00:01.000Z","event":"child_started","name":"web","pid":9}` + "\n" +
		`{"seq":3,"ts":"2026-05-01T10:00:02.000Z","event":"hea`
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(torn), 0o600); err != nil {
		t.Fatal(err)
	}
	l := open(t, Config{Dir: dir, Name: "web"})
	l.Append(Entry{Event: EventHsupStarted})
	closeLedger(t, l)
	es, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(seqs(es)); got != "[1 2 3]" {
		t.Fatalf("seqs %s, want [1 2 3] (the torn line skipped, the new one whole)", got)
	}
	if es[2].Event != EventHsupStarted {
		t.Errorf("new line %+v", es[2])
	}
}

// TestRotationBound: past MaxMiB the file is rotated and Keep rotated files
// are kept, so the ledger never holds more than (Keep+1) × MaxMiB (plus a
// line); Read returns the lines that are left, in order, and a reopened
// ledger continues their seq.
func TestRotationBound(t *testing.T) {
	dir := t.TempDir()
	l := open(t, Config{Dir: dir, Name: "web", MaxMiB: 1, Keep: 2})
	sentence := strings.Repeat("x", 900)
	const lines = 5000 // about 4.8 MiB of ~1 KiB lines
	for i := range lines {
		l.Append(Entry{Event: EventDegraded, Reason: "health", Sentence: sentence})
		if i%200 == 0 { // let the writer drain: this test is about rotation, not drops
			flush(t, l)
		}
	}
	closeLedger(t, l)
	names, total := dirFiles(t, dir)
	if want := "[ledger.jsonl ledger.jsonl.1 ledger.jsonl.2]"; fmt.Sprint(names) != want {
		t.Errorf("files %v, want %s", names, want)
	}
	if bound := int64(3<<20) + 2048; total > bound {
		t.Errorf("ledger holds %d bytes, bound %d", total, bound)
	}
	es, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) < 2500 || es[len(es)-1].Seq != lines {
		t.Fatalf("read %d lines ending at seq %d, want about 3 MiB of them ending at %d", len(es), es[len(es)-1].Seq, lines)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Seq != es[i-1].Seq+1 {
			t.Fatalf("seq %d follows %d", es[i].Seq, es[i-1].Seq)
		}
	}
	l = open(t, Config{Dir: dir, Name: "web", MaxMiB: 1, Keep: 2})
	defer closeLedger(t, l)
	if l.LastSeq() != lines {
		t.Errorf("reopened LastSeq %d, want %d", l.LastSeq(), lines)
	}
}

func flush(t *testing.T, l *Ledger) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.file.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func dirFiles(t *testing.T, dir string) ([]string, int64) {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var total int64
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, de.Name())
		total += fi.Size()
	}
	return names, total
}

// TestDropIsOneWarning: a line the writer cannot take is dropped, never
// waited for; the first drop is one warning, later ones are not logged,
// and the file says where lines are missing.
func TestDropIsOneWarning(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	dir := t.TempDir()
	l := open(t, Config{Dir: dir, Name: "web", Log: zap.New(core)})
	huge := strings.Repeat("y", 300<<10) // more than the writer's buffer: dropped whole
	for range 3 {
		l.Append(Entry{Event: EventDegraded, Sentence: huge})
	}
	l.Append(Entry{Event: EventHealthy})
	closeLedger(t, l)
	if n := logs.FilterMessageSnippet("ledger lines were dropped").Len(); n != 1 {
		t.Errorf("%d drop warnings, want 1: %v", n, logs.All())
	}
	es, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Event != EventLinesDropped || es[0].DroppedBytes == 0 || es[1].Event != EventHealthy {
		t.Fatalf("entries %+v, want the drop notice then the healthy line", es)
	}
	if es[1].Seq != 4 {
		t.Errorf("seq %d after 3 dropped lines, want 4 (numbers are not reused)", es[1].Seq)
	}
}

func TestReadWithoutLedger(t *testing.T) {
	es, err := Read(filepath.Join(t.TempDir(), "absent"))
	if err != nil || len(es) != 0 {
		t.Fatalf("Read of a missing directory: %v %v", es, err)
	}
}

// BenchmarkObserve is the cost on the supervisor's loop of one ledger
// line (a degraded verdict with 10 probes, the largest line).
func BenchmarkObserve(b *testing.B) {
	l, err := Open(Config{Dir: b.TempDir(), Name: "web", Degraded: func(supervise.ChildDegraded) Facts {
		f := Facts{Failures: 3, FirstFailure: time.Second, Budget: 17 * time.Second}
		for range 10 {
			f.Probes = append(f.Probes, Probe{Kind: "cheap", At: Stamp(time.Now()), Result: "timeout", LatencyMS: 2000.1})
		}
		return f
	}})
	if err != nil {
		b.Fatal(err)
	}
	ev := supervise.ChildDegraded{At: time.Now(), Pid: 42, Reason: "health", Detail: "3 failed health probes since the last ok one"}
	b.ReportAllocs()
	for b.Loop() {
		l.Observe(ev)
	}
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = l.Close(ctx)
}
