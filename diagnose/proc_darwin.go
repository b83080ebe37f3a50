//go:build darwin

package diagnose

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
)

// sampleThread matches a thread's heading in `sample` output's call graph.
var sampleThread = regexp.MustCompile(`(?m)^\s+[0-9]+\s+Thread_[0-9]+`)

// platformCollectors on macOS: `sample PID 1` for every thread's stack,
// when sample exists. There is no /proc; lsof is the descriptor source.
func (r *run) platformCollectors() []collector {
	path, err := exec.LookPath("sample")
	if err != nil {
		return nil
	}
	return []collector{{name: "threads", budget: r.cfg.Timeout, run: func(ctx context.Context) error {
		return r.sample(ctx, path)
	}}}
}

func (r *run) sample(ctx context.Context, path string) error {
	out, err := runCmd(ctx, path, strconv.Itoa(r.pid), "1")
	if len(out) > 0 {
		if werr := r.b.write("threads.txt", out); werr != nil && err == nil {
			err = werr
		}
	}
	r.threads = len(sampleThread.FindAll(out, -1))
	return err
}
