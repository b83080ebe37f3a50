package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/doctor"
	"github.com/hsup/hsup/fdlimit"
	"github.com/hsup/hsup/launchd"
	"github.com/hsup/hsup/managed"
	"github.com/hsup/hsup/runstate"
	"github.com/hsup/hsup/systemd"
)

func systemdCommand(rf []cli.Flag) *cli.Command {
	flags := append([]cli.Flag{
		&cli.BoolFlag{Name: "user", EnvVars: env("unit-user"), Usage: "a user unit (systemctl --user) instead of a system unit"},
		&cli.BoolFlag{Name: "install", EnvVars: env("install"), Usage: "write the unit file and print the systemctl commands to run"},
	}, append(generatorFlags(), rf...)...)
	unit := &cli.Command{
		Name:      "unit",
		Usage:     "print a systemd unit that runs PROGRAM under hsup (Type=notify, watchdog, limits)",
		ArgsUsage: "-- PROGRAM [ARGS...]",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			s, cmd, err := serviceInput(c)
			if err != nil {
				return err
			}
			name := s.name // --name: the service, and so the unit (without .service)
			cmd.RunArgs = withName(cmd.RunArgs, name)
			home, _ := os.UserHomeDir()
			unitPath := systemd.UnitPath(name, c.Bool("user"), home)
			if cmd.RunArgs, err = metricsArgs(c, s, cmd.RunArgs, systemdClaims(home, unitPath)); err != nil {
				return err
			}
			cwd, _ := os.Getwd()
			text, err := systemd.Unit{Name: name, User: c.Bool("user"), Command: cmd, WorkingDirectory: cwd, NoFile: s.nofile}.Render()
			if err != nil {
				return usageError("%v", err)
			}
			if !c.Bool("install") {
				_, err = fmt.Fprint(c.App.Writer, text)
				return err
			}
			return install(c, unitPath, []byte(text), systemd.InstallCommands(name, c.Bool("user")))
		},
	}
	return &cli.Command{Name: "systemd", Usage: "systemd integration", Subcommands: []*cli.Command{unit}}
}

func launchdCommand(rf []cli.Flag) *cli.Command {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "label", Required: true, EnvVars: env("launchd-label"), Usage: "job label, reverse-DNS style (ai.hermes.webui)"},
		&cli.BoolFlag{Name: "daemon", EnvVars: env("launchd-daemon"), Usage: "a LaunchDaemon (system domain, runs from boot as --user) instead of a LaunchAgent (gui/UID)"},
		&cli.StringFlag{Name: "user", EnvVars: env("launchd-user"), Usage: "with --daemon: the user to run as (default: $SUDO_USER, else the current user)"},
		&cli.StringFlag{Name: "group", EnvVars: env("launchd-group"), Usage: "with --daemon: the group to run as (default: the user's primary group)"},
		&cli.StringFlag{Name: "process-type", Value: launchd.DefaultProcessType, EnvVars: env("launchd-process-type"), Usage: "ProcessType: Standard, Interactive, Adaptive or Background (throttled)"},
		&cli.StringFlag{Name: "log-dir", EnvVars: env("launchd-log-dir"), Usage: "directory of the job's stdout/stderr files (default ~/Library/Logs/LABEL, /Library/Logs/LABEL with --daemon)"},
		&cli.BoolFlag{Name: "install", EnvVars: env("install"), Usage: "write the plist (~/Library/LaunchAgents, or /Library/LaunchDaemons with --daemon, as root), create the log directory and print the launchctl commands"},
	}, append(generatorFlags(), rf...)...)
	plist := &cli.Command{
		Name:      "plist",
		Usage:     "print a launchd plist that runs PROGRAM under hsup (KeepAlive, limits, logs)",
		ArgsUsage: "-- PROGRAM [ARGS...]",
		Description: "Without --daemon: a LaunchAgent for gui/UID, for a Mac someone logs into at its screen (a laptop,\n" +
			"a desktop). It starts at that login, stops at logout, and cannot be loaded over SSH alone.\n" +
			"With --daemon: a LaunchDaemon for the system domain that runs as --user from boot, with no one\n" +
			"logged in: for a headless Mac (a Mac mini reached over SSH, or FileVault, which rules out\n" +
			"automatic login). Installing it needs sudo.",
		Flags: flags,
		Action: func(c *cli.Context) error {
			s, cmd, err := serviceInput(c)
			if err != nil {
				return err
			}
			if err := runstate.ValidName(c.String("label")); err == nil && !c.IsSet("name") {
				cmd.RunArgs = withName(cmd.RunArgs, c.String("label")) // the job's label names the service
			} else {
				cmd.RunArgs = withName(cmd.RunArgs, s.name)
			}
			home, _ := os.UserHomeDir()
			self := launchd.Path(c.String("label"), home, c.Bool("daemon"))
			if cmd.RunArgs, err = metricsArgs(c, s, cmd.RunArgs, launchdClaims(home, self)); err != nil {
				return err
			}
			if !c.IsSet("hsup-path") {
				cmd.Hsup = launchd.HsupPath(invokedHsup(cmd.Hsup), cmd.Hsup)
			}
			lc, err := launchdConfig(c, s, cmd)
			if err != nil {
				return err
			}
			data, err := launchd.Generate(lc)
			if err != nil {
				return usageError("%v", err)
			}
			if !c.Bool("install") {
				_, err = c.App.Writer.Write(data)
				return err
			}
			return installLaunchd(c, lc, data)
		},
	}
	return &cli.Command{Name: "launchd", Usage: "launchd integration", Subcommands: []*cli.Command{plist}}
}

// launchdConfig collects the plist's inputs from the flags and this
// machine: the daemon's user, the cleaned PATH, kern.maxfilesperproc.
func launchdConfig(c *cli.Context, s settings, cmd managed.Command) (launchd.Config, error) {
	daemon := c.Bool("daemon")
	if !daemon && (c.String("user") != "" || c.String("group") != "") {
		return launchd.Config{}, usageError("--user and --group need --daemon: an agent runs as the user who loads it")
	}
	maxFiles, _ := launchd.MaxFilesPerProc() // unknown (0): the limit is written as asked
	cwd, _ := os.Getwd()
	lc := launchd.Config{Label: c.String("label"), Command: cmd, Daemon: daemon, GroupName: c.String("group"),
		LogDir: c.String("log-dir"), WorkingDirectory: cwd, Restart: s.restart.String(),
		ProcessType: c.String("process-type"), NoFile: s.nofile, MaxFilesPerProc: maxFiles,
		Path: launchd.CleanPath(os.Getenv("PATH"), isDir)}
	if !daemon {
		lc.Home, _ = os.UserHomeDir()
		return lc, nil
	}
	lc.UserName = daemonUser(c.String("user"), os.Getenv("SUDO_USER"), currentUser)
	if lc.UserName == "" {
		return launchd.Config{}, usageError("--daemon: cannot tell which user to run as; pass --user")
	}
	return lc, nil
}

// daemonUser is the user a daemon runs as: --user, else the user who ran
// sudo, else the current user ("" when none is known).
func daemonUser(flag, sudoUser string, current func() string) string {
	if flag != "" {
		return flag
	}
	if sudoUser != "" {
		return sudoUser
	}
	return current()
}

func currentUser() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	return u.Username
}

func isDir(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

// invokedHsup is the path this hsup was run by before symlinks resolve
// (e.g. /opt/homebrew/bin/hsup), when it leads to resolved; "" otherwise.
// On macOS os.Executable is that path; on Linux it is already resolved,
// so argv[0] (looked up on PATH when it is a bare name) is tried too.
func invokedHsup(resolved string) string {
	var candidates []string
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, exe)
	}
	if arg0 := os.Args[0]; strings.Contains(arg0, "/") {
		candidates = append(candidates, arg0)
	} else if p, err := exec.LookPath(arg0); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		abs, err := filepath.Abs(p)
		if err != nil || abs == resolved {
			continue
		}
		if r, err := filepath.EvalSymlinks(abs); err == nil && r == resolved {
			return abs
		}
	}
	return ""
}

// installLaunchd writes the plist and creates the log directory, which
// launchd does not create and opens as the job's user: a daemon's is
// given to its user (and group).
func installLaunchd(c *cli.Context, lc launchd.Config, data []byte) error {
	if lc.Daemon && os.Geteuid() != 0 {
		return usageError("--daemon --install writes /Library/LaunchDaemons: run it with sudo")
	}
	logDir, err := lc.LogDirectory()
	if err != nil {
		return usageError("%v", err)
	}
	path := launchd.Path(lc.Label, lc.Home, lc.Daemon)
	if _, err := checkInstall(c, path, data); err != nil {
		return err // a different plist there, no --force: nothing created
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return cli.Exit(fmt.Sprintf("hsup: create log directory %s: %v", logDir, err), 1)
	}
	if lc.Daemon {
		if err := chownTo(logDir, lc.UserName, lc.GroupName); err != nil {
			return cli.Exit(fmt.Sprintf("hsup: give log directory %s to %s: %v", logDir, lc.UserName, err), 1)
		}
	}
	if err := install(c, path, data, launchd.InstallCommands(lc.Label, lc.Daemon, os.Getuid(), path)); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "graceful restart: %s\n", launchd.RestartCommand(lc.Label, lc.Daemon, os.Getuid()))
	return nil
}

// chownTo gives dir to the named user and group (the user's primary group
// when group is "").
func chownTo(dir, userName, group string) error {
	u, err := user.Lookup(userName)
	if err != nil {
		return err
	}
	gid := u.Gid
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return err
		}
		gid = g.Gid
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("uid %q: %w", u.Uid, err)
	}
	g, err := strconv.Atoi(gid)
	if err != nil {
		return fmt.Errorf("gid %q: %w", gid, err)
	}
	return os.Chown(dir, uid, g)
}

// serviceInput validates the run flags and returns them with the command
// the service manager runs: hsup and PROGRAM both absolute, because a
// service manager starts jobs with its own working directory and PATH.
func serviceInput(c *cli.Context) (settings, managed.Command, error) {
	if c.NArg() == 0 {
		return settings{}, managed.Command{}, usageError("no PROGRAM given: ... [flags] -- PROGRAM [ARGS...]")
	}
	s, err := readSettings(c)
	if err != nil {
		return s, managed.Command{}, err
	}
	program, err := absProgram(c.Args().First())
	if err != nil {
		return s, managed.Command{}, err
	}
	self, err := hsupPath(c) // --hsup-path, or this hsup (with a warning for a go run build)
	if err != nil {
		return s, managed.Command{}, err
	}
	return s, s.command(self, program, c.Args().Tail()), nil
}

// command is `hsup run` with these settings as a service manager runs it.
// withName adds --name to run flags that lack it: a service manager's job
// always names its service, so two jobs of one interpreter (python3) never
// share a lock.
func withName(runArgs []string, name string) []string {
	for _, a := range runArgs {
		if strings.HasPrefix(a, "--name=") {
			return runArgs
		}
	}
	return append(slices.Clone(runArgs), "--name="+name)
}

func (s settings) command(hsup, program string, args []string) managed.Command {
	return managed.Command{Hsup: hsup, RunArgs: s.runArgs, Program: program, Args: args, StopGrace: s.stopGrace}
}

// absProgram returns PROGRAM's absolute path, looked up on PATH when it is
// a bare name. A relative path with a slash is refused rather than
// resolved against this directory, which the service will not run in.
func absProgram(program string) (string, error) {
	if filepath.Base(program) != program && !filepath.IsAbs(program) {
		abs, _ := filepath.Abs(program)
		return "", usageError("PROGRAM %q is relative: give its absolute path (%s)", program, abs)
	}
	path, err := exec.LookPath(program)
	if err != nil {
		return "", usageError("PROGRAM %q not found or not executable: give the absolute path of an executable", program)
	}
	if path, err = filepath.Abs(path); err != nil {
		return "", usageError("PROGRAM %q: %v", program, err)
	}
	return path, nil
}

func doctorCommand(rf []cli.Flag) *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "explain what hsup run would do with these flags on this machine, and warn about risky settings",
		Description: "Prints the worst-case detection time of each failure class, the child's RLIMIT_NOFILE, the\n" +
			"available collectors and the service manager, and judges --stop-grace against launchd's ExitTimeOut\n" +
			"(--plist, or the running job's plist). Exit 0 when nothing is wrong, 1 with warnings.",
		ArgsUsage: "[-- PROGRAM [ARGS...]]",
		Flags: append(slices.Clip(rf), &cli.StringFlag{Name: "plist", TakesFile: true, EnvVars: env("doctor-plist"),
			Usage: "launchd plist whose ExitTimeOut --stop-grace must fit (default on macOS: the running job's)"}),
		Action: func(c *cli.Context) error {
			s, err := readSettings(c)
			if err != nil {
				return err
			}
			in := doctorInput(s, c.Args().Slice()...)
			// An unreadable plist is a warning in the report, not an error.
			in.Plist, in.ReadFile, in.EUID = c.String("plist"), os.ReadFile, os.Geteuid()
			r := doctor.Check(in)
			if err := r.Write(c.App.Writer); err != nil {
				return err
			}
			if code := r.ExitCode(); code != 0 {
				return cli.Exit("", code)
			}
			return nil
		},
	}
}

// doctorInput is what doctor judges: the validated settings plus this
// machine's facts (platform, PID, installed collectors, the FD limit plan
// or, with --nofile=0, the inherited limits) and, on macOS, the launchd
// and TCC facts about program (PROGRAM [ARGS...], possibly empty).
func doctorInput(s settings, program ...string) doctor.Input {
	in := probeInput(s) // the probe fields, as `hsup run` judges them at start (startup.go)
	in.GOOS, in.PID = runtime.GOOS, os.Getpid()
	in.StopGrace, in.BackoffMin, in.BackoffMax = s.stopGrace, s.backoff.Min, s.backoff.Max
	in.MetricsAddr, in.Pprof, in.FDWarn, in.FDRestart = s.metricsAddr, s.pprof, s.fdWarn, s.fdRestart
	in.NofileWant = s.nofile
	in.LookPath = func(name string) bool { _, err := exec.LookPath(name); return err == nil }
	in.Getenv = os.Getenv
	if s.nofile != 0 {
		t, err := fdlimit.Plan(s.nofile)
		in.NofileSoft, in.NofileHard, in.NofileCap, in.NofileReason = t.Soft, t.Hard, t.Cap, t.Reason
		if err != nil {
			in.NofileErr = err.Error()
		}
	} else if soft, hard, err := inheritedNofile(); err != nil {
		in.NofileErr = err.Error()
	} else {
		in.NofileSoft, in.NofileHard = soft, hard
	}
	macFacts(&in, program)
	return in
}
