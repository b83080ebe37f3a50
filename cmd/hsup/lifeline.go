package main

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"go.uber.org/zap"

	"github.com/hsup/hsup/runstate"
	"github.com/hsup/hsup/supervise"
)

// lifelineCommand is the guard hsup starts in each child's process group
// (hsup re-executes itself): it stops the group when hsup is gone.
func lifelineCommand() *cli.Command {
	return &cli.Command{
		Name:   "lifeline",
		Hidden: true,
		Usage:  "stop this process group when hsup dies (started by hsup run)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "signal", Value: "TERM"},
			&cli.DurationFlag{Name: "grace", Value: 10 * time.Second},
			&cli.StringFlag{Name: "state-dir"},
			&cli.StringFlag{Name: "name"},
		},
		Action: func(c *cli.Context) error {
			sig, err := parseSignal("signal", c.String("signal"))
			if err != nil || sig == 0 {
				return usageError("lifeline --signal=%q: give a signal name", c.String("signal"))
			}
			also := recordedOrphans(c.String("state-dir"), c.String("name"), sig, c.Duration("grace"))
			if err := supervise.Lifeline(sig, c.Duration("grace"), os.Stderr, also); err != nil {
				return cli.Exit("hsup: "+err.Error(), 1)
			}
			return nil
		},
	}
}

// lifeline builds the guard's command for each child: hsup itself, by the
// path of the running binary (not PATH), with the stop settings.
func lifeline(s settings, svc *claim, log *zap.Logger) func() *exec.Cmd {
	// On Linux, the running binary itself: an upgrade that replaced or
	// removed the file on disk must not leave every later child unguarded.
	self, err := "/proc/self/exe", error(nil)
	if runtime.GOOS != "linux" {
		self, err = os.Executable()
	}
	if err != nil {
		log.Warn("cannot find hsup's own executable: children run without a lifeline, and outlive a killed hsup",
			zap.Error(err))
		return nil
	}
	args := []string{"lifeline", "--signal=" + strconv.Itoa(int(s.stopSignal)), "--grace=" + s.stopGrace.String()}
	if svc.dir != nil {
		args = append(args, "--state-dir="+s.stateDir, "--name="+s.name)
	}
	return func() *exec.Cmd {
		cmd := exec.Command(self, args...)
		cmd.Env = childEnv(os.Environ())
		cmd.Stderr = os.Stderr
		return cmd
	}
}

// recordedOrphans is what the lifeline does besides stopping its group:
// stop the processes the child record names outside the group (a setsid'd
// worker re-parented to init once hsup died), identity-checked as a
// reclaim at start-up would. nil without a record.
func recordedOrphans(stateDir, name string, sig syscall.Signal, grace time.Duration) func(context.Context) {
	if stateDir == "" || name == "" {
		return nil
	}
	return func(ctx context.Context) {
		dir, err := runstate.Open(stateDir, name)
		if err != nil {
			return
		}
		rec, err := dir.ReadRecord()
		if err != nil {
			return
		}
		orphans, _ := runstate.Orphans(rec, same)
		own := syscall.Getpgrp() // the group stop covers these, the lifeline among them
		orphans = slices.DeleteFunc(orphans, func(m runstate.Member) bool { return m.Pgid == own })
		runstate.Reclaim(ctx, orphans, sig, grace, same)
	}
}
