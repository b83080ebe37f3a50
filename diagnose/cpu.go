package diagnose

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// cpuWindow is the shortest interval over which a capture measures the
// child's CPU: its first reading is taken as the collectors start, its
// last when this has passed. It is the capture's floor (lsof of 500
// descriptors takes about 50 ms), so it is short: /proc's schedstat counts
// in nanoseconds, and ps -M's hundredths of a second (and the time ps
// itself takes on macOS) still put a spinning thread far from half a core.
const cpuWindow = 100 * time.Millisecond

// threadReading is one thread's cumulative CPU time and state at a reading.
type threadReading struct {
	TID   int    // 0 when the platform shows none (macOS ps -M)
	Name  string // "" when the platform shows none
	State string // one letter: R, S, D, T, t, Z, I, U ...
	Stat  float64
	Sched float64 // schedstat's run time (Linux), when HasSched
	// HasSched: schedstat was read; its nanoseconds are used when every
	// thread of both readings has them, else Stat's clock ticks.
	HasSched bool
}

// cpu is the thread's CPU seconds from schedstat or from stat.
func (t threadReading) cpu(sched bool) float64 {
	if sched {
		return t.Sched
	}
	return t.Stat
}

// threadSample is one reading of all of the child's threads.
type threadSample struct {
	At      time.Time
	Source  string // "proc" (Linux) or "ps" (macOS)
	Threads []threadReading
}

// cpuEvidence is what the thread_cpu collector found: two readings of the
// child's threads, over the capture, or what it has of them.
type cpuEvidence struct {
	first, last *threadSample
}

// threadCPU is the thread_cpu collector: it reads the child's threads
// (per-thread CPU time and state) as the collectors start and again once
// cpuWindow has passed, and hands what it read to out. out is buffered:
// if the collector is abandoned, nobody reads what it sends later.
func threadCPU(pid int, read func(ctx context.Context, pid int) (threadSample, error), out chan<- cpuEvidence) func(context.Context) error {
	return func(ctx context.Context) error {
		var ev cpuEvidence
		defer func() { out <- ev }()
		first, err := read(ctx, pid)
		if err != nil {
			return fmt.Errorf("read the child's threads at the start of the capture: %w", err)
		}
		ev.first = &first
		timer := time.NewTimer(time.Until(first.At.Add(cpuWindow)))
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			return fmt.Errorf("wait for the end of the CPU window: %w", ctx.Err())
		}
		last, err := read(ctx, pid)
		if err != nil {
			return fmt.Errorf("read the child's threads at the end of the CPU window: %w", err)
		}
		ev.last = &last
		return nil
	}
}

// received takes the collector's evidence if it has sent it.
func received(ch <-chan cpuEvidence) cpuEvidence {
	select {
	case ev := <-ch:
		return ev
	default:
		return cpuEvidence{}
	}
}

// fill puts the CPU and thread evidence into ev: the window and the CPU
// used in it when both readings exist, the threads' states from the last
// reading there is. The main thread is the one whose id is pid, or on
// macOS the first line.
func (c cpuEvidence) fill(ev *WedgeEvidence, pid int) {
	if c.first != nil && c.last != nil {
		c.measure(ev)
	}
	end := c.last
	if end == nil {
		end = c.first
	}
	if end == nil {
		return
	}
	n := len(end.Threads)
	ev.ThreadCount = &n
	ev.States = map[string]int{}
	for i, t := range end.Threads {
		ev.States[t.State]++
		if t.TID == pid || (t.TID == 0 && i == 0) {
			ev.MainState = t.State
		}
	}
	if ev.CPUSeconds == nil {
		ev.Threads = threadList(end.Threads, nil, false)
	}
}

// measure sets the window, the CPU used in it and per thread, and where
// the figures come from.
func (c cpuEvidence) measure(ev *WedgeEvidence) {
	window := c.last.At.Sub(c.first.At).Seconds()
	sched := usesSched(c.first.Threads) && usesSched(c.last.Threads)
	total, per := cpuDelta(c.first.Threads, c.last.Threads, sched)
	ev.CPUWindowSeconds, ev.CPUSeconds, ev.Threads = &window, &total, per
	ev.CPUSource = c.last.Source
	if c.last.Source == "proc" {
		ev.CPUSource = "stat"
		if sched {
			ev.CPUSource = "schedstat"
		}
	}
}

func usesSched(ts []threadReading) bool {
	for _, t := range ts {
		if !t.HasSched {
			return false
		}
	}
	return len(ts) > 0
}

// cpuDelta is the pure part: the CPU all threads used between two
// readings, and per thread, busiest first (at most wedgeThread). Threads
// are matched by id; without ids (macOS) by position, when the count is
// the same. A thread new in the last reading counts all its CPU; one that
// ended takes its CPU with it (never below zero in total).
func cpuDelta(first, last []threadReading, sched bool) (float64, []ThreadCPU) {
	var before, after float64
	for _, t := range first {
		before += t.cpu(sched)
	}
	for _, t := range last {
		after += t.cpu(sched)
	}
	return max(after-before, 0), threadList(last, first, sched)
}

// threadList lists last's threads, with their CPU since first when first
// is given, busiest first, at most wedgeThread of them.
func threadList(last, first []threadReading, sched bool) []ThreadCPU {
	byID := map[int]threadReading{}
	for _, t := range first {
		byID[t.TID] = t
	}
	positional := len(last) == len(first)
	out := make([]ThreadCPU, 0, len(last))
	for i, t := range last {
		tc := ThreadCPU{TID: t.TID, Name: t.Name, State: t.State}
		prev, ok := byID[t.TID]
		if t.TID == 0 {
			ok = positional
			if ok {
				prev = first[i]
			}
		}
		switch {
		case first == nil:
		case ok:
			d := max(t.cpu(sched)-prev.cpu(sched), 0)
			tc.CPUSeconds = &d
		case t.TID != 0: // new in the window
			d := t.cpu(sched)
			tc.CPUSeconds = &d
		}
		out = append(out, tc)
	}
	slices.SortStableFunc(out, func(a, b ThreadCPU) int { return cmp.Compare(cpuOf(b), cpuOf(a)) })
	return out[:min(len(out), wedgeThread)]
}

func cpuOf(t ThreadCPU) float64 {
	if t.CPUSeconds == nil {
		return -1
	}
	return *t.CPUSeconds
}
