package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/fdlimit"
	"github.com/hsup/hsup/supervise"
)

// nofileExecName is the hidden command hsup starts in the child's place
// when the child gets a --nofile of its own.
const nofileExecName = "_nofile-exec"

// nofileExecCommand is the shim that gives the child its --nofile while
// hsup keeps its own, higher limit (chpst -o, in one step): it sets its own
// soft RLIMIT_NOFILE and execs the program. exec keeps the pid and the
// process group (the lifeline's), so the process hsup supervises is the
// program itself, a few milliseconds after it started.
//
// Its arguments are the resolved path, then the program's full argv
// (argv[0] included, as hsup was given it). When the exec fails it prints
// one line and exits as a shell would: 127 not found, 126 not executable,
// or 75 (EX_TEMPFAIL) when the system was short of a resource, which says
// nothing about the program.
func nofileExecCommand() *cli.Command {
	return &cli.Command{
		Name:      nofileExecName,
		Hidden:    true,
		Usage:     "set this process's soft RLIMIT_NOFILE, then exec PATH (started by hsup run)",
		ArgsUsage: "--nofile=N -- PATH ARGV0 [ARGS...]",
		Flags:     []cli.Flag{&cli.Uint64Flag{Name: "nofile", Required: true}},
		Action: func(c *cli.Context) error {
			if c.NArg() < 2 {
				return usageError("%s: give -- PATH ARGV0 [ARGS...]", nofileExecName)
			}
			want := c.Uint64("nofile")
			if _, err := fdlimit.Apply(want); err != nil {
				fmt.Fprintf(c.App.ErrWriter, "hsup: could not set the child's RLIMIT_NOFILE to %d, it runs with its inherited limit: %v\n", want, err)
			}
			path, argv := c.Args().First(), c.Args().Tail()
			err := syscall.Exec(path, argv, os.Environ())
			code, msg := execFailure(path, err)
			return cli.Exit("hsup: "+msg, code)
		},
	}
}

// exitTempFail is EX_TEMPFAIL: the exec failed for want of a resource.
const exitTempFail = supervise.ExitTransient

// execFailure is the exit code and the one line for an exec of path that
// failed with err, in the words hsup uses when the first start fails.
func execFailure(path string, err error) (int, string) {
	var errno syscall.Errno
	errors.As(err, &errno)
	switch errno {
	case syscall.ENOENT, syscall.ENOTDIR:
		return 127, fmt.Sprintf("program %q not found (%v): give an absolute path or put it on PATH", path, err)
	case syscall.EAGAIN, syscall.ENOMEM, syscall.EMFILE, syscall.ENFILE, syscall.ETXTBSY:
		return exitTempFail, fmt.Sprintf("program %q could not be started for want of a resource (%v); it may start when retried", path, err)
	}
	return 126, fmt.Sprintf("program %q cannot be executed (%v): check its permissions (chmod +x) and format", path, err)
}

// nofilePath is what hsup starts for the program at path: path itself, or
// with a limit to give the child (see applyNofile), hsup's own executable
// running the shim.
func nofilePath(path string, limit uint64) string {
	self, err := shimExecutable()
	if limit == 0 || err != nil {
		return path
	}
	return self
}

// nofileArgs is the argv that goes with nofilePath.
func nofileArgs(path string, argv []string, limit uint64) []string {
	self, err := shimExecutable()
	if limit == 0 || err != nil {
		return argv
	}
	return append([]string{self, nofileExecName, "--nofile=" + strconv.FormatUint(limit, 10), "--", path}, argv...)
}

// shimExecutable is hsup's own executable as a child of hsup will find it.
// On Linux that is /proc/self/exe, which the forked child resolves to the
// image it was forked from even when hsup's file was replaced or deleted
// by an upgrade since hsup started.
var shimExecutable = sync.OnceValues(func() (string, error) {
	if runtime.GOOS == "linux" {
		if _, err := os.Stat("/proc/self/exe"); err == nil {
			return "/proc/self/exe", nil
		}
	}
	return os.Executable()
})
