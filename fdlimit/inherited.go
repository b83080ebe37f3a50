package fdlimit

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"time"

	"github.com/hsup/hsup/reaper"
)

// inheritedTimeout bounds the one shell Inherited starts.
const inheritedTimeout = 5 * time.Second

// Inherited returns the soft RLIMIT_NOFILE that a child this process starts
// now, without a limit of its own, runs with (math.MaxUint64 = unlimited).
// Only a child can show it: when the Go runtime raised this process's soft
// limit at start-up, it keeps the start-up limit to itself and restores it
// in every child (see the package doc), so Getrlimit here, and RaiseOwn's
// Before, show the raised limit (on macOS often kern.maxfilesperproc where
// the child gets 256). It asks `/bin/sh -c 'ulimit -n'`, once, bounded by
// inheritedTimeout. Once this process called setrlimit itself (RaiseOwn's
// Set), children get its current limit, and so does the shell.
func Inherited() (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), inheritedTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", "ulimit -n")
	cmd.WaitDelay = time.Second
	out, err := reaper.Output(cmd)
	if err != nil {
		return 0, fmt.Errorf("ask a child for the RLIMIT_NOFILE it inherits: %w", err)
	}
	n, err := parseUlimit(out)
	if err != nil {
		return 0, fmt.Errorf("ask a child for the RLIMIT_NOFILE it inherits: %w", err)
	}
	return n, nil
}

// parseUlimit reads what `ulimit -n` prints: a number or "unlimited". A
// limit of 0 is refused with the rest: no child could run under it, so it
// is a misreading, and 0 means "unknown" to the watcher.
func parseUlimit(out []byte) (uint64, error) {
	s := string(bytes.TrimSpace(out))
	if s == "unlimited" {
		return math.MaxUint64, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err == nil && n == 0 {
		err = strconv.ErrRange
	}
	if err != nil {
		return 0, fmt.Errorf("`ulimit -n` printed %q: %w", s, err)
	}
	return n, nil
}
