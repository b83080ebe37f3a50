package hooks

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/hsup/hsup/reaper"
)

// Bounds of one run besides its timeout.
const (
	// OutputCap bounds what is kept of a hook's stdout and stderr (one
	// buffer, in the order written): the start of it goes into the log
	// line of a failed run; the rest is read and discarded.
	OutputCap = 4 << 10
	// waitDelay bounds the wait for a hook's output after its process
	// exited or was killed: a descendant that left its group may hold the
	// pipes open.
	waitDelay = time.Second
)

// execute runs path (no shell, no arguments) with stdin and env, in a
// process group of its own that is killed as a whole when ctx is done and
// once path has exited (nothing a hook starts in its group outlives its
// run). It returns the start of the combined output.
func execute(ctx context.Context, path string, stdin []byte, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, path)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(stdin)
	out := &capped{limit: OutputCap}
	cmd.Stdout, cmd.Stderr = out, out // one writer: exec serializes its writes
	isolate(cmd)
	cmd.WaitDelay = waitDelay
	if err := reaper.Start(cmd); err != nil {
		return nil, fmt.Errorf("start hook %s: %w", path, err)
	}
	err := reaper.Wait(cmd)
	killGroup(cmd.Process.Pid)
	if err != nil {
		return out.Bytes(), fmt.Errorf("hook %s: %w", path, err)
	}
	return out.Bytes(), nil
}

// capped keeps the first limit bytes written to it and discards the rest
// without failing the writer. The buffer is a field, not embedded: an
// embedded bytes.Buffer's ReadFrom would let io.Copy bypass the cap.
type capped struct {
	buf   bytes.Buffer
	limit int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) Bytes() []byte { return c.buf.Bytes() }
