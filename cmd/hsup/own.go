package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/urfave/cli/v2"
	"go.uber.org/zap"

	"github.com/hsup/hsup/proctree"
	"github.com/hsup/hsup/runstate"
	"github.com/hsup/hsup/supervise"
)

// exitLocked: another hsup runs a service of this name. Not bad input (a
// service manager may retry it: the other one may be stopping), not the
// child's status.
const exitLocked = 75

// claim is what hsup holds of its service: the lock (one hsup per name)
// and the directory of the child record. A nil dir means hsup runs
// without them (the state directory is unusable: one warning).
type claim struct {
	dir   *runstate.Dir
	lock  *runstate.Lock
	runID string
}

// claimService opens the service's state directory and takes its lock. A
// lock held by another hsup is exit 75 with one line naming its pid,
// before anything is started.
func claimService(s settings, log *zap.Logger) (*claim, error) {
	c := &claim{runID: runstate.NewRunID()}
	if s.name == "" || s.stateDir == "" {
		log.Warn("no service name or state directory: running without the one-hsup-per-name lock and the child record")
		return c, nil
	}
	var dir *runstate.Dir
	var lock *runstate.Lock // set by the step; read only when it finished in time
	err := within(volumeWait, "opening the state directory", func() error {
		var err error
		if dir, err = runstate.Open(s.stateDir, s.name); err == nil {
			lock, err = dir.Lock()
		}
		return err
	})
	if err == nil {
		c.lock = lock
	}
	var held *runstate.LockedError
	switch {
	case errors.As(err, &held):
		return nil, cli.Exit("hsup: "+held.Error(), exitLocked)
	case err != nil && s.stateDirSet:
		return nil, usageError("--state-dir: %v", err)
	case err != nil:
		log.Warn("state directory unusable: running without the one-hsup-per-name lock and the child record "+
			"(set --state-dir to a directory hsup's user owns)", zap.Error(err))
		return c, nil
	}
	c.dir = dir
	log.Debug("service claimed", zap.String("name", s.name), zap.String("dir", dir.Path), zap.String("run_id", c.runID))
	return c, nil
}

func (c *claim) close() {
	if c.lock != nil {
		_ = c.lock.Close()
	}
}

// same is the identity check of a recorded process: the same pid with the
// same kernel start time, not a zombie.
func same(m runstate.Member) bool {
	return proctree.Same(proctree.Proc{Pid: m.Pid, Start: m.Start})
}

// reclaim stops what an earlier hsup of this service left running, as
// recorded in child.json, before anything is started: only processes whose
// pid and start time both match the record; a pid reused by an unrelated
// process is never touched.
func (c *claim) reclaim(s settings, log *zap.Logger) {
	if c.dir == nil {
		return
	}
	var rec runstate.Record
	err := within(volumeWait, "reading the child record", func() error {
		var err error
		rec, err = c.dir.ReadRecord()
		return err
	})
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		log.Warn("the child record of an earlier hsup is unreadable; nothing reclaimed", zap.Error(err))
		_ = c.dir.ClearRecord()
		return
	}
	orphans, stale := runstate.Orphans(rec, same)
	if len(stale) > 0 {
		log.Info("recorded processes of an earlier hsup are gone, or their pids now belong to other processes: not touched",
			zap.Int("earlier_hsup", rec.HsupPid), zap.String("run_id", rec.RunID), zap.Any("stale", stale))
	}
	if len(orphans) > 0 {
		log.Warn("reclaiming what an earlier hsup left running (its pid and start time match the record): stopping it",
			zap.Int("earlier_hsup", rec.HsupPid), zap.String("run_id", rec.RunID), zap.Any("orphans", orphans))
		ctx, cancel := context.WithTimeout(context.Background(), s.stopGrace+2*time.Second)
		rep := runstate.Reclaim(ctx, orphans, s.stopSignal, s.stopGrace, same)
		cancel()
		log.Warn("reclaimed the orphans of an earlier hsup", zap.Any("stopped", rep.Stopped), zap.Any("killed", rep.Killed),
			zap.Any("left", rep.Left), zap.Duration("took", rep.Took))
	}
	_ = c.dir.ClearRecord()
}

// recorder keeps child.json true to the child the supervisor runs: the
// subscriber hands it the latest record without waiting; its own
// goroutine writes (a hung volume delays the record, never the loop).
type recorder struct {
	c      *claim
	log    *zap.Logger
	latest chan runstate.Record // capacity 1: only the newest record matters

	// The subscriber's working copy, touched on the loop goroutine only.
	current runstate.Record
	guard   []runstate.Member // the lifeline, when there is one
}

func newRecorder(c *claim, log *zap.Logger) *recorder {
	return &recorder{c: c, log: log, latest: make(chan runstate.Record, 1)}
}

// observe updates the record from an event; it runs on the loop.
func (r *recorder) observe(e supervise.Event) {
	switch e := e.(type) {
	case supervise.ChildStarted:
		r.guard = nil
		if e.Pgid != e.Pid {
			r.guard = []runstate.Member{{Pid: e.Pgid, Pgid: e.Pgid}}
		}
		r.current = runstate.Record{RunID: r.c.runID, HsupPid: os.Getpid(), Group: e.Pgid,
			Child: runstate.Member{Pid: e.Pid, Pgid: e.Pgid}, Members: r.guard}
	case supervise.TreeChanged:
		r.current.Members = slices.Clone(r.guard)
		for _, m := range e.Members {
			r.current.Members = append(r.current.Members, runstate.Member{Pid: m.Pid, Pgid: m.Pgid, Start: m.Start, Comm: m.Comm})
		}
	case supervise.ChildExited:
		r.current = runstate.Record{} // the group and what left it are killed with the exit
	default:
		return
	}
	select { // replace what is waiting with the newer record
	case <-r.latest:
	default:
	}
	r.latest <- r.current
}

// run writes the records until ctx is done; the first failure is logged.
func (r *recorder) run(ctx context.Context) error {
	if r.c.dir == nil {
		<-ctx.Done()
		return nil
	}
	failed := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case rec := <-r.latest:
			err := r.write(rec)
			if err != nil && !failed {
				r.log.Warn("cannot write the child record; a later hsup cannot reclaim this child's orphans", zap.Error(err))
			}
			failed = err != nil
		}
	}
}

// write records rec, with the kernel start times the events do not carry.
func (r *recorder) write(rec runstate.Record) error {
	if rec.Child.Pid == 0 {
		return r.c.dir.ClearRecord()
	}
	identify := func(m *runstate.Member) {
		if m.Start == 0 {
			if p, ok := proctree.Identify(m.Pid); ok {
				m.Start, m.Comm = p.Start, p.Comm
			}
		}
	}
	identify(&rec.Child)
	rec.Members = append([]runstate.Member(nil), rec.Members...)
	for i := range rec.Members {
		identify(&rec.Members[i])
	}
	return r.c.dir.WriteRecord(rec)
}
