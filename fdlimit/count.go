package fdlimit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"time"

	"github.com/hsup/hsup/reaper"
)

// lsofTimeout bounds one lsof run: on a busy macOS host lsof can take
// seconds, and a counter that hangs would stall the FD pressure watcher.
const lsofTimeout = 5 * time.Second

// CountLsofFields counts the numeric file descriptors in `lsof -F f`
// output. Rows such as cwd, txt and mem are mappings, not descriptors, and
// do not count against RLIMIT_NOFILE.
func CountLsofFields(out []byte) int {
	n := 0
	for line := range bytes.SplitSeq(out, []byte("\n")) {
		if len(line) < 2 || line[0] != 'f' {
			continue
		}
		if _, err := strconv.Atoi(string(line[1:])); err == nil {
			n++
		}
	}
	return n
}

// countEither counts pid's descriptors with primary and, only when that
// fails, with fallback. The error, when both fail, names both failures.
func countEither(pid int, primary, fallback func(pid int) (int, error)) (int, error) {
	n, err := primary(pid)
	if err == nil {
		return n, nil
	}
	n, errFallback := fallback(pid)
	if errFallback != nil {
		return 0, errors.Join(err, errFallback)
	}
	return n, nil
}

// countLsof counts pid's open descriptors with lsof, bounded by lsofTimeout.
// It is macOS's fallback counter; it builds everywhere so it is tested on
// Linux too.
func countLsof(pid int) (int, error) {
	path, err := exec.LookPath("lsof")
	if err != nil {
		return 0, fmt.Errorf("count open files of pid %d: lsof not found on PATH: %w", pid, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), lsofTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-nP", "-p", strconv.Itoa(pid), "-F", "f")
	cmd.WaitDelay = time.Second
	out, err := reaper.Output(cmd)
	// lsof exits 1 on some warnings while still listing the process, so a
	// process header line ("p<PID>") is what proves the listing usable.
	if !bytes.HasPrefix(out, []byte("p")) {
		if err == nil {
			err = errors.New("no such process or no permission")
		}
		return 0, fmt.Errorf("count open files of pid %d with lsof: %w", pid, err)
	}
	return CountLsofFields(out), nil
}
