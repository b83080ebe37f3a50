//go:build darwin

package diagnose

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// readThreads runs `ps -M -p PID` (see parsePsThreads): per thread its
// state and CPU time, without ids or names.
func readThreads(ctx context.Context, pid int) (threadSample, error) {
	path, ok := findTool("darwin", "ps", isExecutable, exec.LookPath)
	if !ok {
		return threadSample{}, fmt.Errorf("read threads of pid %d: %w", pid, errors.New("ps not found"))
	}
	s := threadSample{At: time.Now(), Source: "ps"}
	out, err := runCmd(ctx, path, psThreadsArgs(pid)...)
	threads, perr := parsePsThreads(out)
	if err == nil {
		err = perr
	}
	if err != nil {
		return s, fmt.Errorf("read threads of pid %d: %w", pid, err)
	}
	s.Threads = threads
	return s, nil
}
