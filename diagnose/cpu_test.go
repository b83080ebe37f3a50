package diagnose

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCPUDelta(t *testing.T) {
	first := []threadReading{
		{TID: 10, Name: "main", State: "S", Stat: 1.00, Sched: 1.0004, HasSched: true},
		{TID: 11, Name: "worker", State: "R", Stat: 5.00, Sched: 5.0001, HasSched: true},
		{TID: 12, Name: "gone", State: "S", Stat: 0.50, Sched: 0.5, HasSched: true},
	}
	last := []threadReading{
		{TID: 10, Name: "main", State: "S", Stat: 1.00, Sched: 1.0005, HasSched: true},
		{TID: 11, Name: "worker", State: "R", Stat: 5.80, Sched: 5.8123, HasSched: true},
		{TID: 13, Name: "new", State: "S", Stat: 0.01, Sched: 0.02, HasSched: true},
	}
	total, per := cpuDelta(first, last, true)
	// 6.8328 - 6.5005: the thread that ended takes its 0.5 s with it.
	if !near(total, 0.3323) {
		t.Errorf("total %v, want 0.3323", total)
	}
	var got []int
	for _, p := range per {
		got = append(got, p.TID)
	}
	if !slices.Equal(got, []int{11, 13, 10}) || !near(*per[0].CPUSeconds, 0.8122) || !near(*per[1].CPUSeconds, 0.02) {
		t.Errorf("per thread %+v, want worker 0.8122, new 0.02, main busiest first", per)
	}
	if total, _ := cpuDelta(first, last[:1], false); total != 0 {
		t.Errorf("total with threads gone = %v, want 0 (never below zero)", total)
	}
}

// macOS readings have no ids: threads match by position, or not at all.
func TestCPUDeltaPositional(t *testing.T) {
	first := []threadReading{{State: "R", Stat: 12.96}, {State: "S", Stat: 0.01}}
	last := []threadReading{{State: "R", Stat: 13.82}, {State: "S", Stat: 0.01}}
	total, per := cpuDelta(first, last, false)
	if !near(total, 0.86) || per[0].CPUSeconds == nil || !near(*per[0].CPUSeconds, 0.86) {
		t.Errorf("total %v per %+v, want 0.86 on the first thread", total, per)
	}
	_, per = cpuDelta(first, append(last, threadReading{State: "S", Stat: 0.2}), false)
	for _, p := range per {
		if p.CPUSeconds != nil {
			t.Errorf("a thread count that changed still matched by position: %+v", per)
		}
	}
}

func TestCPUEvidenceFill(t *testing.T) {
	t0 := time.Unix(1795342472, 0)
	first := &threadSample{At: t0, Source: "proc", Threads: []threadReading{
		{TID: 7, State: "R", Stat: 1, Sched: 1, HasSched: true}, {TID: 8, State: "S", Stat: 0}}}
	last := &threadSample{At: t0.Add(500 * time.Millisecond), Source: "proc", Threads: []threadReading{
		{TID: 7, State: "R", Stat: 1.4, Sched: 1.41, HasSched: true}, {TID: 8, State: "S", Stat: 0}}}
	var e WedgeEvidence
	cpuEvidence{first: first, last: last}.fill(&e, 7)
	if e.CPUSource != "stat" || !near(*e.CPUSeconds, 0.4) || !near(*e.CPUWindowSeconds, 0.5) {
		t.Errorf("one thread without schedstat: source %q cpu %v window %v, want stat 0.4 over 0.5", e.CPUSource, *e.CPUSeconds, *e.CPUWindowSeconds)
	}
	if e.MainState != "R" || *e.ThreadCount != 2 || e.States["S"] != 1 {
		t.Errorf("main %q count %d states %v", e.MainState, *e.ThreadCount, e.States)
	}
	var only WedgeEvidence
	cpuEvidence{first: first}.fill(&only, 7)
	if only.CPUSeconds != nil || only.CPUWindowSeconds != nil || *only.ThreadCount != 2 || len(only.Threads) != 2 {
		t.Errorf("one reading: %+v, want states and threads without CPU", only)
	}
	var none WedgeEvidence
	cpuEvidence{}.fill(&none, 7)
	if none.ThreadCount != nil || none.States != nil {
		t.Errorf("no reading: %+v, want nothing", none)
	}
}

// TestThreadCPUWindow: the collector reads once, waits out cpuWindow from
// that reading, reads again and hands both over; a cancelled context
// hands over what it has.
func TestThreadCPUWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var at []time.Time
		read := func(context.Context, int) (threadSample, error) {
			at = append(at, time.Now())
			return threadSample{At: time.Now(), Source: "proc", Threads: []threadReading{{TID: 1, State: "R"}}}, nil
		}
		out := make(chan cpuEvidence, 1)
		if err := threadCPU(1, read, out)(context.Background()); err != nil {
			t.Fatal(err)
		}
		ev := received(out)
		if len(at) != 2 || at[1].Sub(at[0]) != cpuWindow || ev.first == nil || ev.last == nil {
			t.Fatalf("readings at %v, evidence %+v; want two, %v apart", at, ev, cpuWindow)
		}

		ctx, cancel := context.WithTimeout(context.Background(), cpuWindow/2)
		defer cancel()
		err := threadCPU(1, read, out)(ctx)
		if ev := received(out); !errors.Is(err, context.DeadlineExceeded) || ev.first == nil || ev.last != nil {
			t.Fatalf("cut short: %v, %+v; want the first reading only", err, ev)
		}
	})
	out := make(chan cpuEvidence, 1)
	fail := func(context.Context, int) (threadSample, error) { return threadSample{}, errors.New("no such process") }
	if err := threadCPU(1, fail, out)(context.Background()); err == nil || received(out).first != nil {
		t.Fatalf("a failed reading: %v", err)
	}
}

func TestParsePsThreads(t *testing.T) {
	start, err := parsePsThreads(readTestdata(t, "ps-threads-spin-start.txt"))
	if err != nil {
		t.Fatal(err)
	}
	end, err := parsePsThreads(readTestdata(t, "ps-threads-spin-end.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(start) != 4 || start[0].State != "R" || start[1].State != "S" || !near(start[0].Stat, 3.12+9.84) {
		t.Fatalf("start = %+v, want 4 threads, the main one R with 12.96 s", start)
	}
	total, per := cpuDelta(start, end, false)
	if !near(total, 0.87) || !near(*per[0].CPUSeconds, 0.86) {
		t.Errorf("delta %v, busiest %v; want 0.87 in all, 0.86 on the main thread", total, *per[0].CPUSeconds)
	}
	stopped, err := parsePsThreads(readTestdata(t, "ps-threads-stopped.txt"))
	if err != nil || len(stopped) != 2 || stopped[0].State != "T" || stopped[1].State != "T" {
		t.Fatalf("stopped = %+v, %v", stopped, err)
	}
	var e WedgeEvidence
	cpuEvidence{first: &threadSample{Source: "ps", Threads: stopped}}.fill(&e, 4321)
	if w := classifyWedge(e); w.Kind != WedgeStopped {
		t.Errorf("a stopped process from ps -M classifies as %q", w.Kind)
	}
}

func TestParsePsThreadsBad(t *testing.T) {
	for name, out := range map[string]string{
		"empty":      "",
		"no heading": "alice 4321 ?? 0.0 S 31T 0:00.01 0:00.02 x\n",
		"no thread":  "USER PID TT %CPU STAT PRI STIME UTIME COMMAND\n",
		"bad time":   "USER PID TT %CPU STAT PRI STIME UTIME COMMAND\nalice 4321 ?? 0.0 S 31T 0:00.01 zero x\n",
		"cut line":   "USER PID TT %CPU STAT PRI STIME UTIME COMMAND\nalice 4321 ?? 0.0 S\n",
	} {
		if _, err := parsePsThreads([]byte(out)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	comma := "USER PID TT %CPU STAT PRI STIME UTIME COMMAND\n1.2 4321 ?? 12,5 S 31T 1:00,50 0:02,25 x\n 4321 0,0 U 31T 0:00,00 0:00,01\n"
	got, err := parsePsThreads([]byte(comma))
	if err != nil || len(got) != 2 || !near(got[0].Stat, 62.75) || got[1].State != "U" {
		t.Errorf("a comma locale and a dotted user name: %+v, %v", got, err)
	}
}

func TestPsTime(t *testing.T) {
	for in, want := range map[string]float64{"0:00.00": 0, "0:01.72": 1.72, "123:04.50": 7384.5, "1:02:03.45": 3723.45, "0:00,10": 0.1} {
		if got, err := psTime(in); err != nil || !near(got, want) {
			t.Errorf("psTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12", "1.5:00.00", "a:b", "1:2:3:4", "-1:00.00"} {
		if _, err := psTime(in); err == nil {
			t.Errorf("psTime(%q): no error", in)
		}
	}
}
