package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"github.com/urfave/cli/v2"
	"go.uber.org/zap"

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
			if errors.Is(err, syscall.EACCES) && isDir(path) {
				err = syscall.EISDIR // what execve says of a directory; the words a user needs
			}
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
	case syscall.EISDIR:
		return 126, fmt.Sprintf("program %q is a directory: give the path of the program file", path)
	case syscall.EAGAIN, syscall.ENOMEM, syscall.EMFILE, syscall.ENFILE, syscall.ETXTBSY:
		return exitTempFail, fmt.Sprintf("program %q could not be started for want of a resource (%v); it may start when retried", path, err)
	}
	return 126, fmt.Sprintf("program %q cannot be executed (%v): check its permissions (chmod +x) and format", path, err)
}

// nofilePath is what hsup starts for the program at path: path itself, or
// with a limit to give the child (lim.shim, see applyNofile), hsup's own
// executable running the shim.
func nofilePath(path string, lim nofilePlan) string {
	self, err := shimExecutable()
	if lim.shim == 0 || err != nil {
		return path
	}
	return self
}

// nofileArgs is the argv that goes with nofilePath.
func nofileArgs(path string, argv []string, lim nofilePlan) []string {
	self, err := shimExecutable()
	if lim.shim == 0 || err != nil {
		return argv
	}
	return append([]string{self, nofileExecName, "--nofile=" + strconv.FormatUint(lim.shim, 10), "--", path}, argv...)
}

// nofilePlan is what hsup does about the child's RLIMIT_NOFILE, and what
// it judges the child's descriptors against where it cannot read the
// child's own limit (macOS).
type nofilePlan struct {
	shim   uint64         // the soft limit the _nofile-exec shim sets; 0 = no shim, the child inherits
	watch  uint64         // the child's soft limit as far as hsup knows; 0 = unknown
	source fdlimit.Source // where watch comes from
}

// direct reports whether the child starts without the shim and so runs
// with whatever a child of hsup inherits: watch is then for
// fdlimit.Inherited to tell.
func (p nofilePlan) direct() bool { return p.shim == 0 }

// planNofile is the pure decision behind applyNofile. want is --nofile; own
// is what RaiseOwn left; shimOK says whether hsup's own executable, which
// runs the shim, was found; target is Plan(want) and planned whether Plan
// worked. A child started directly gets watch 0 here (see direct).
func planNofile(want uint64, own fdlimit.Own, shimOK bool, target fdlimit.Target, planned bool) nofilePlan {
	inherit := nofilePlan{source: fdlimit.SourceInherited}
	switch {
	case !shimOK:
		return inherit
	case want == 0 && own.Set:
		// hsup's setrlimit ended the Go runtime's restoring of the start-up
		// limit in children: the shim gives it back, and Before is it.
		return nofilePlan{shim: own.Before, watch: own.Before, source: fdlimit.SourceInherited}
	case want == 0 || !planned || target.Soft == 0:
		return inherit
	}
	return nofilePlan{shim: target.Soft, watch: target.Soft, source: fdlimit.SourceSet}
}

// planChild plans the child's --nofile and logs the outcome; false when
// it could not be planned and the child inherits hsup's limit instead.
func planChild(want uint64, log *zap.Logger) (fdlimit.Target, bool) {
	t, err := fdlimit.Plan(want)
	switch {
	case err != nil:
		log.Warn("could not plan the child's RLIMIT_NOFILE; it inherits hsup's start-up limit", zap.Uint64("want", want), zap.Error(err))
		return t, false
	case t.Clamped():
		log.Warn("child's RLIMIT_NOFILE clamped", zap.Uint64("want", want), zap.Uint64("soft", t.Soft), zap.String("reason", t.Reason))
	default:
		log.Info("child's RLIMIT_NOFILE set", zap.Uint64("soft", t.Soft), zap.Uint64("hard", t.Hard))
	}
	return t, true
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

// errStillShim: the child has not yet exec'd its program.
var errStillShim = errors.New("the child is still hsup's " + nofileExecName + " shim")

// childSoftLimit is the FD-pressure watch's read of the child's soft
// RLIMIT_NOFILE. For its first milliseconds the child is the
// _nofile-exec shim, whose limit is still hsup's own until it sets the
// child's and execs: a read then is no fact about the child, and the
// watch judges against the limit the shim gives instead (nofilePlan.watch).
func childSoftLimit(pid int) (uint64, error) {
	if cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil && isShim(cmdline) {
		return 0, errStillShim
	}
	return fdlimit.SoftLimit(pid)
}

// isShim reports whether a /proc/PID/cmdline is the _nofile-exec shim's:
// hsup's path, then the command.
func isShim(cmdline []byte) bool {
	args := bytes.SplitN(cmdline, []byte{0}, 3)
	return len(args) > 1 && string(args[1]) == nofileExecName
}
