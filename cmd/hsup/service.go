package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/doctor"
	"github.com/hsup/hsup/fdlimit"
	"github.com/hsup/hsup/launchd"
	"github.com/hsup/hsup/managed"
	"github.com/hsup/hsup/runstate"
	"github.com/hsup/hsup/systemd"
)

func systemdCommand() *cli.Command {
	flags := append([]cli.Flag{
		&cli.BoolFlag{Name: "user", EnvVars: env("unit-user"), Usage: "a user unit (systemctl --user) instead of a system unit"},
		&cli.BoolFlag{Name: "install", EnvVars: env("install"), Usage: "write the unit file and print the systemctl commands to run"},
	}, runFlags()...)
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
			cwd, _ := os.Getwd()
			text, err := systemd.Unit{Name: name, User: c.Bool("user"), Command: cmd, WorkingDirectory: cwd, NoFile: s.nofile}.Render()
			if err != nil {
				return usageError("%v", err)
			}
			if !c.Bool("install") {
				_, err = fmt.Fprint(c.App.Writer, text)
				return err
			}
			home, _ := os.UserHomeDir()
			return install(c, systemd.UnitPath(name, c.Bool("user"), home), []byte(text), systemd.InstallCommands(name, c.Bool("user")))
		},
	}
	return &cli.Command{Name: "systemd", Usage: "systemd integration", Subcommands: []*cli.Command{unit}}
}

func launchdCommand() *cli.Command {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "label", Required: true, EnvVars: env("launchd-label"), Usage: "job label, reverse-DNS style (ai.hermes.webui)"},
		&cli.StringFlag{Name: "log-dir", EnvVars: env("launchd-log-dir"), Usage: "directory of the job's stdout/stderr files (default ~/Library/Logs/LABEL)"},
		&cli.BoolFlag{Name: "install", EnvVars: env("install"), Usage: "write ~/Library/LaunchAgents/LABEL.plist and print the launchctl commands"},
	}, runFlags()...)
	plist := &cli.Command{
		Name:      "plist",
		Usage:     "print a launchd plist that runs PROGRAM under hsup (KeepAlive, limits, logs)",
		ArgsUsage: "-- PROGRAM [ARGS...]",
		Flags:     flags,
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
			cwd, _ := os.Getwd()
			data, err := launchd.Generate(launchd.Config{Label: c.String("label"), Command: cmd, Home: home,
				LogDir: c.String("log-dir"), WorkingDirectory: cwd, Path: os.Getenv("PATH"), NoFile: s.nofile})
			if err != nil {
				return usageError("%v", err)
			}
			if !c.Bool("install") {
				_, err = c.App.Writer.Write(data)
				return err
			}
			logDir := c.String("log-dir")
			if logDir == "" {
				logDir = filepath.Join(home, "Library", "Logs", c.String("label"))
			}
			// launchd does not create the log directory; without it the job cannot start.
			if err := os.MkdirAll(logDir, 0o755); err != nil {
				return cli.Exit(fmt.Sprintf("hsup: create log directory %s: %v", logDir, err), 1)
			}
			path := launchd.Path(c.String("label"), home)
			return install(c, path, data, launchd.InstallCommands(c.String("label"), os.Getuid(), path))
		},
	}
	return &cli.Command{Name: "launchd", Usage: "launchd integration", Subcommands: []*cli.Command{plist}}
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
	self, err := os.Executable()
	if err != nil {
		return s, managed.Command{}, cli.Exit(fmt.Sprintf("hsup: cannot find my own executable: %v", err), 1)
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
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

func install(c *cli.Context, path string, data []byte, commands []string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return cli.Exit(fmt.Sprintf("hsup: create %s: %v", filepath.Dir(path), err), 1)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return cli.Exit(fmt.Sprintf("hsup: write %s: %v", path, err), 1)
	}
	fmt.Fprintf(c.App.Writer, "wrote %s\nnow run:\n", path)
	for _, cmd := range commands {
		fmt.Fprintf(c.App.Writer, "  %s\n", cmd)
	}
	return nil
}

func doctorCommand() *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "explain what hsup run would do with these flags on this machine, and warn about risky settings",
		Description: "Prints the worst-case detection time of each failure class, the child's RLIMIT_NOFILE, the\n" +
			"available collectors and the service manager. Exit 0 when nothing is wrong, 1 with warnings.",
		Flags: runFlags(),
		Action: func(c *cli.Context) error {
			s, err := readSettings(c)
			if err != nil {
				return err
			}
			r := doctor.Check(doctorInput(s))
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
// machine's facts (platform, PID, installed collectors, the FD limit plan).
func doctorInput(s settings) doctor.Input {
	in := doctor.Input{
		GOOS: runtime.GOOS, PID: os.Getpid(),
		HealthURL: s.health.URL, HealthInterval: s.health.Interval, HealthTimeout: s.health.Timeout,
		HealthFailures: s.health.Failures, DeepURL: s.health.DeepURL, DeepInterval: s.health.DeepInterval,
		DeepTimeout: s.health.DeepTimeout, DeepFailures: s.health.DeepFailures,
		HeartbeatField: s.health.HeartbeatField, HeartbeatStale: s.health.HeartbeatStale,
		BusyFailures: s.health.BusyFailures, StartupGrace: s.health.StartupGrace,
		StopGrace: s.stopGrace, BackoffMin: s.backoff.Min, BackoffMax: s.backoff.Max,
		MetricsAddr: s.metricsAddr, Pprof: s.pprof, FDWarn: s.fdWarn, FDRestart: s.fdRestart,
		NofileWant: s.nofile,
		LookPath:   func(name string) bool { _, err := exec.LookPath(name); return err == nil },
		Getenv:     os.Getenv,
	}
	if s.nofile != 0 {
		t, err := fdlimit.Plan(s.nofile)
		in.NofileSoft, in.NofileHard, in.NofileCap, in.NofileReason = t.Soft, t.Hard, t.Cap, t.Reason
		if err != nil {
			in.NofileErr = err.Error()
		}
	}
	return in
}
