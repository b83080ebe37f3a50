//go:build darwin

package diagnose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"syscall"
)

// platformCollectors on macOS: none beyond the tool collectors, which
// planTools lists (sample, ps_group, ps_threads when the tools exist).
// There is no /proc; lsof is the descriptor source.
func (r *run) platformCollectors() []collector { return nil }

func init() {
	platformTools["threads"] = func(r *run, path string) func(context.Context) error {
		return func(ctx context.Context) error { return r.sample(ctx, path) }
	}
	platformTools["ps_group"] = func(r *run, path string) func(context.Context) error {
		return func(ctx context.Context) error { return r.psGroup(ctx, path) }
	}
	platformTools["ps_threads"] = func(r *run, path string) func(context.Context) error {
		return func(ctx context.Context) error { return r.psThreads(ctx, path) }
	}
}

// sample writes threads.txt itself (-file); its stdout is only progress.
// A refusal (no privileges) is the collector's error, in sample's words,
// whatever its exit status.
func (r *run) sample(ctx context.Context, path string) error {
	const name = "threads.txt"
	file, err := filepath.Abs(filepath.Join(r.b.path, name))
	if err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	stdout, stderr, runErr := runCmdOut(ctx, path, sampleArgs(r.pid, file)...)
	if msg := sampleRefusal(stdout, stderr); msg != "" {
		return errors.New(msg)
	}
	// sample created the file with its umask; bundles are private.
	_ = r.b.root.Chmod(name, 0o600)
	f, err := r.b.root.Open(name)
	if err != nil {
		if runErr != nil {
			return runErr
		}
		return fmt.Errorf("sample wrote no %s: %w", name, err)
	}
	report, err := io.ReadAll(io.LimitReader(f, maxOutput))
	f.Close()
	r.threads = countSampleThreads(report)
	if runErr != nil {
		return runErr
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}

// psGroup writes ps-group.txt: the child's process group, one line each.
func (r *run) psGroup(ctx context.Context, path string) error {
	pgid, err := syscall.Getpgid(r.pid)
	if err != nil {
		return fmt.Errorf("process group of pid %d: %w", r.pid, err)
	}
	out, runErr := runCmd(ctx, path, psGroupArgs...)
	group, err := filterGroup(out, pgid)
	if len(group) > 0 {
		if werr := r.b.write("ps-group.txt", group); werr != nil && runErr == nil {
			runErr = werr
		}
	}
	if runErr != nil {
		return runErr
	}
	return err
}

// psThreads writes ps-threads.txt: `ps -M -p PID`, a line per thread.
func (r *run) psThreads(ctx context.Context, path string) error {
	out, err := runCmd(ctx, path, psThreadsArgs(r.pid)...)
	if len(out) > 0 {
		if werr := r.b.write("ps-threads.txt", out); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}
