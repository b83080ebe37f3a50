package diagnose

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/hsup/hsup/reaper"
)

const (
	// maxOutput caps what one command may put into a bundle: lsof of a
	// process with a million descriptors must not exhaust hsup's memory.
	maxOutput = 32 << 20
	// waitDelay is how long a killed collector command may keep its pipes
	// open (a grandchild holding them) before they are closed under it.
	waitDelay = 500 * time.Millisecond
	// abandonGrace is how long past its deadline the capture waits for a
	// collector that ignores its context (a read of /proc stuck on a wedged
	// process's memory lock) before recording it failed and moving on.
	abandonGrace = time.Second
)

// collector is one piece of evidence. run writes its file(s) and reports
// what failed; it must respect ctx, which carries its deadline.
type collector struct {
	name   string
	budget time.Duration // deadline of this collector, from the start of the run
	run    func(ctx context.Context) error
}

// Result is how one collector fared, as recorded in summary.json. A
// collector that was deliberately not run (py-spy without root on macOS)
// is ok, with Skipped saying why: it is no failure of the capture.
type Result struct {
	OK      bool   `json:"ok"`
	MS      int64  `json:"ms"`
	Error   string `json:"error,omitempty"`
	Skipped string `json:"skipped,omitempty"`
}

// skipError is returned by a collector that decided not to run.
type skipError struct{ reason string }

func (e *skipError) Error() string { return "skipped: " + e.reason }

func skipped(reason string) error { return &skipError{reason: reason} }

type finished struct {
	name string
	res  Result
}

// runAll runs the collectors concurrently and returns each one's result
// within the largest budget plus abandonGrace. A collector that has not
// returned by then is recorded failed and left to finish on its own (its
// result is discarded): the restart must not wait for it.
func runAll(ctx context.Context, cols []collector) map[string]Result {
	ch := make(chan finished, len(cols)) // buffered: a late collector never blocks
	var longest time.Duration
	for _, c := range cols {
		longest = max(longest, c.budget)
		go func() {
			cctx, cancel := context.WithTimeout(ctx, c.budget)
			defer cancel()
			start := time.Now()
			err := c.run(cctx)
			ch <- finished{name: c.name, res: result(start, err)}
		}()
	}
	out := make(map[string]Result, len(cols))
	timer := time.NewTimer(longest + abandonGrace)
	defer timer.Stop()
	for len(out) < len(cols) {
		select {
		case f := <-ch:
			out[f.name] = f.res
		case <-timer.C:
			for _, c := range cols {
				if _, ok := out[c.name]; !ok {
					out[c.name] = Result{MS: (longest + abandonGrace).Milliseconds(), Error: "did not finish by its deadline; abandoned"}
				}
			}
		}
	}
	return out
}

func result(start time.Time, err error) Result {
	r := Result{OK: err == nil, MS: time.Since(start).Milliseconds()}
	var skip *skipError
	if errors.As(err, &skip) {
		r.OK, r.Skipped = true, skip.reason
		return r
	}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

// runCmd runs path with args under ctx and returns its stdout. The command
// runs in its own process group, killed as a whole at the deadline; pipes
// left open by a grandchild are closed waitDelay later. Output beyond
// maxOutput is dropped. Stderr is folded into the error when it fails.
func runCmd(ctx context.Context, path string, args ...string) ([]byte, error) {
	out, _, err := runCmdOut(ctx, path, args...)
	return out, err
}

// runCmdOut is runCmd that also returns stderr (at most 4 KiB), for a tool
// that reports a refusal there yet may exit 0.
func runCmdOut(ctx context.Context, path string, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.CommandContext(ctx, path, args...)
	isolate(cmd)
	cmd.WaitDelay = waitDelay
	out := &reaper.Capped{Limit: maxOutput}
	errOut := &reaper.Capped{Limit: 4 << 10}
	cmd.Stdout, cmd.Stderr = out, errOut
	err = reaper.Start(cmd)
	if err == nil {
		err = reaper.Wait(cmd)
	}
	if ctx.Err() != nil {
		return out.Bytes(), errOut.Bytes(), fmt.Errorf("%s killed at its deadline: %w", path, ctx.Err())
	}
	if err != nil {
		msg := strings.TrimSpace(errOut.String())
		if msg != "" {
			return out.Bytes(), errOut.Bytes(), fmt.Errorf("%s: %w: %s", path, err, msg)
		}
		return out.Bytes(), errOut.Bytes(), fmt.Errorf("%s: %w", path, err)
	}
	return out.Bytes(), errOut.Bytes(), nil
}
