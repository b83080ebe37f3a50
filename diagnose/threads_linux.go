//go:build linux

package diagnose

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// readThreads reads every thread of pid from /proc/PID/task: its name,
// state, and CPU time, both from stat (utime+stime, in clock ticks) and,
// where the kernel has it, from schedstat (run time in nanoseconds). A
// thread that ends while it is read is left out.
func readThreads(ctx context.Context, pid int) (threadSample, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return threadSample{}, fmt.Errorf("read threads of pid %d: %w", pid, err)
	}
	s := threadSample{At: time.Now(), Source: "proc"}
	tasks, err := fs.AllThreads(pid)
	if err != nil {
		return s, fmt.Errorf("read threads of pid %d: %w", pid, err)
	}
	for _, task := range tasks {
		if err := ctx.Err(); err != nil {
			return s, fmt.Errorf("read threads of pid %d: %w", pid, err)
		}
		st, err := task.Stat()
		if err != nil {
			continue // ended while we looked
		}
		t := threadReading{TID: task.PID, Name: st.Comm, State: st.State, Stat: st.CPUTime()}
		if ss, err := task.Schedstat(); err == nil {
			t.Sched, t.HasSched = float64(ss.RunningNanoseconds)/1e9, true
		}
		s.Threads = append(s.Threads, t)
	}
	if len(s.Threads) == 0 {
		return s, fmt.Errorf("read threads of pid %d: none readable (did it exit?)", pid)
	}
	return s, nil
}
