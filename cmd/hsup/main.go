package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

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
	// One set of run flags for every command that takes them: the app is
	// alive for all of `hsup run`, and five copies of some sixty flags
	// were a tenth of its live heap. Only one command runs, so sharing
	// the Flag values is safe.
	rf := runFlags()
	app := &cli.App{
		Name:    "hsup",
		Usage:   "run a program in the foreground and restart it when it exits or stops serving",
		Version: versionText(),
		Writer:  stdout, ErrWriter: stderr,
		// Errors are printed once, by run, with their exit code.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(cc *cli.Context, err error, _ bool) error {
			return usageLine(cc, err) // suggest.go
		},
		HideHelpCommand: true,
		Commands: []*cli.Command{
			runCommand(rf), demoCommand(rf), checkCommand(), doctorCommand(rf),
			statusCommand(), restartCommand(), captureCommand(), // status.go
			bundlesCommand(), // bundles.go
			systemdCommand(rf), launchdCommand(rf), versionCommand(), demoAppCommand(), lifelineCommand(), nofileExecCommand(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return noCommand(c) // with the command meant, when one is close
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
		c.OnUsageError = func(cc *cli.Context, err error, _ bool) error {
			return usageLine(cc, err) // the flag meant, or the duration's unit
		}
		if c.Action == nil && len(c.Subcommands) > 0 {
			c.Action = noCommand // an unknown subcommand is a usage error, not a help page
		}
		c.HideHelpCommand = true
		oneLineUsageErrors(c.Subcommands)
	}
}
