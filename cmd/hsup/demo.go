package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/demoapp"
	"github.com/hsup/hsup/fdlimit"
)

func demoCommand(rf []cli.Flag) *cli.Command {
	flags := append([]cli.Flag{&cli.IntFlag{Name: "port", Value: 8787, EnvVars: env("demo-port"),
		Usage: "port of the demo app on 127.0.0.1"}}, rf...)
	return &cli.Command{
		Name:  "demo",
		Usage: "supervise hsup's built-in demo web app and flip its failure switches with curl",
		Description: "Runs `hsup run` over a built-in app that speaks the Hermes WebUI's health contract.\n" +
			"It prints the curl commands that wedge the app in each way hsup detects, with the time hsup takes\n" +
			"under the flags given. All run flags apply; --health-url defaults to the demo app's /health.\n" +
			"Exit codes as hsup run's; 75 when --port or --metrics-addr is in use before the demo starts.",
		Flags: flags,
		Action: func(c *cli.Context) error {
			port := c.Int("port")
			if port < 1 || port > 65535 {
				return usageError("--port=%d: give a port between 1 and 65535", port)
			}
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			if !c.IsSet("health-url") {
				if err := c.Set("health-url", "http://"+addr+"/health"); err != nil {
					return err
				}
			}
			if !c.IsSet("name") { // before readSettings: the name decides the bundle directory
				if err := c.Set("name", "demo"); err != nil {
					return err
				}
			}
			s, err := readSettings(c)
			if err != nil {
				return err
			}
			return runDemo(c, s, addr)
		},
	}
}

func runDemo(c *cli.Context, s settings, addr string) error {
	if err := demoPortsFree(addr, s.metricsAddr, listening, portHolder); err != nil {
		return err // before the banner: nothing printed, nothing started
	}
	exe, err := os.Executable()
	if err != nil {
		return cli.Exit(fmt.Sprintf("hsup: cannot find my own executable to run the demo app: %v", err), 1)
	}
	dir, err := os.MkdirTemp("", "hsup-demo-")
	if err != nil {
		return cli.Exit(fmt.Sprintf("hsup: demo state directory: %v", err), 1)
	}
	defer os.RemoveAll(dir)
	printDemoIntro(c.App.Writer, addr, s, dir)
	argv := []string{exe, "demo-app", "--addr", addr, "--state-dir", dir, "--nofile", strconv.FormatUint(s.nofile, 10)}
	return superviseProgram(c, s, argv)
}

func printDemoIntro(w io.Writer, addr string, s settings, dir string) {
	fmt.Fprintf(w, "hsup demo: supervising the built-in demo app on http://%s (state in %s)\n", addr, dir)
	fmt.Fprintf(w, "  health: curl http://%s/health    deep: curl 'http://%s/health?deep=1'\n", addr, addr)
	if s.metricsAddr != "" {
		fmt.Fprintf(w, "  hsup's own metrics: curl http://%s/metrics   status: curl http://%s/healthz\n", s.metricsAddr, s.metricsAddr)
	}
	fmt.Fprintf(w, "  diagnostics bundles go to %s\n\nFlip a switch and watch hsup notice:\n", diagDir(s.diagDir))
	for _, sw := range demoapp.Switches() {
		fmt.Fprintf(w, "  %s\n      %s\n", sw.Curl(addr), switchEffect(sw, s))
	}
	fmt.Fprintln(w, "\nStop with Ctrl-C: hsup stops the app and exits with its status.")
}

// demoAppCommand is the child side of `hsup demo`: hsup re-executes itself.
func demoAppCommand() *cli.Command {
	return &cli.Command{
		Name:   "demo-app",
		Hidden: true,
		Usage:  "the demo web app (run by hsup demo)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: demoapp.DefaultAddr},
			&cli.StringFlag{Name: "state-dir", Required: true},
			&cli.DurationFlag{Name: "start-delay"},
			&cli.Uint64Flag{Name: "nofile", Usage: "pin the app's own soft RLIMIT_NOFILE, as the WebUI does (0 = leave)"},
		},
		Action: func(c *cli.Context) error {
			// The Go runtime raised this process's soft limit at start-up; a
			// real app (the WebUI) sets its own, so the demo pins what hsup gave.
			if _, err := fdlimit.Apply(c.Uint64("nofile")); err != nil {
				fmt.Fprintf(os.Stderr, "demo-app: %v\n", err)
			}
			ctx, stop := signal.NotifyContext(c.Context, syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			err := demoapp.Run(ctx, demoapp.Config{Addr: c.String("addr"), StateDir: c.String("state-dir"),
				StartDelay: c.Duration("start-delay"), Stdout: os.Stdout, Stderr: os.Stderr})
			var exit *demoapp.ExitError
			if errors.As(err, &exit) {
				return cli.Exit("", exit.Code)
			}
			if err != nil {
				return cli.Exit("demo-app: "+err.Error(), 1)
			}
			return nil
		},
	}
}
