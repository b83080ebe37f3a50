package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=..."; when
// it is not, buildVersion reads the commit Go embedded in the binary.
var version = "dev"

func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if version != "dev" || !ok {
		return version
	}
	v := version
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			v += " " + s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			v += "+dirty"
		}
	}
	return v + " " + info.GoVersion
}

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.Run(args)
	if err == nil {
		return 0
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(stderr, msg)
		}
		return ec.ExitCode()
	}
	fmt.Fprintf(stderr, "hsup: %v\n", err)
	return 2
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:    "hsup",
		Usage:   "run a program in the foreground and restart it when it exits or stops serving",
		Version: buildVersion(),
		Writer:  stdout, ErrWriter: stderr,
		// Errors are printed once, by run, with their exit code.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("%v (see --help)", err)
		},
		HideHelpCommand: true,
		Commands: []*cli.Command{
			runCommand(), demoCommand(), checkCommand(), doctorCommand(),
			systemdCommand(), launchdCommand(), versionCommand(), demoAppCommand(), lifelineCommand(), nofileExecCommand(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("no command %q: see hsup --help", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
	oneLineUsageErrors(app.Commands)
	return app
}

// oneLineUsageErrors makes a bad flag anywhere one line and exit 2, not a
// page of help.
func oneLineUsageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return usageError("%v (see hsup %s --help)", err, c.Name)
		}
		c.HideHelpCommand = true
		oneLineUsageErrors(c.Subcommands)
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print hsup's version",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprintf(c.App.Writer, "hsup %s\n", buildVersion())
			return err
		},
	}
}
