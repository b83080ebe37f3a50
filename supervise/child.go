package supervise

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// answeringTimeout bounds the "does something still answer?" probe after
// a child exited 0 during startup.
const answeringTimeout = 2 * time.Second

type launchResult struct {
	proc process
	err  error
}

// launch starts the child off the loop: the exec may take a while (a slow
// disk), and the loop must keep answering signals and pings meanwhile.
func (s *Supervisor) launch() {
	s.launching = true
	s.st.Backoff, s.st.BackoffUntil = 0, time.Time{}
	s.wg.Go(func() {
		proc, err := s.cfg.Start(s.cfg.Spec)
		select {
		case s.launched <- launchResult{proc: proc, err: err}:
		case <-s.quit: // cannot happen: Run waits for a launch in flight
		}
	})
}

// launchDone adopts the started child, or treats a start that failed (its
// program was removed, say) as a child that exited at once with 127 or 126.
func (s *Supervisor) launchDone(res launchResult) {
	s.launching = false
	if res.err != nil {
		s.startFailed(res.err)
		return
	}
	now := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	s.child = &child{proc: res.proc, started: now, ctx: ctx, cancel: cancel}
	s.st.Pid, s.st.Pgid, s.st.StartedAt, s.st.RunningSince = res.proc.Pid(), res.proc.Pgid(), now, time.Time{}
	s.st.ProbeFailures, s.st.HeartbeatKnown, s.st.HeartbeatValue, s.st.HeartbeatAdvancedAt = 0, false, 0, time.Time{}
	s.st.FDsKnown, s.st.OpenFDs, s.st.FDLimit = false, 0, 0
	s.reason, s.detail = "", ""
	s.emit(ChildStarted{At: now, Pid: s.st.Pid, Pgid: s.st.Pgid, Restart: s.started})
	why := "started"
	if s.started {
		why = "restarted"
	}
	s.started = true
	s.step(evLaunched, s.facts(), why)
	if s.cfg.Health == nil { // nothing to prove: running at once
		s.healthy("no health probe")
	}
}

func (s *Supervisor) startFailed(err error) {
	se := toStartError(err)
	s.emit(StartFailed{At: time.Now(), Code: se.Code, Transient: se.Transient, Err: se})
	f := s.facts()
	s.healthyFor, s.ranFor = 0, 0
	if se.Transient { // hsup's own shortage: not the child's failure, and retried even the first time
		s.log.Warn("could not start the child: hsup is short of a resource (processes, memory or descriptors); "+
			"retrying after the backoff. This is not the program's failure", zap.Error(se))
		s.reason, s.detail = ReasonHsup, se.Error()
		f.restart = !s.st.Shutdown
		if !f.restart && !s.started {
			s.startErr = se
		}
		s.step(evStartFailed, f, ReasonHsup)
		return
	}
	s.log.Error("start child", zap.Error(se))
	s.st.LastExitCode, s.st.Exited = se.Code, true
	s.reason, s.detail = ReasonExit, se.Error()
	f.restart = s.started && !s.st.Shutdown && shouldRestart(s.cfg.Restart, ReasonExit, se.Code)
	f.giveUp = f.restart && s.givingUp()
	if !s.started {
		s.startErr = se // bad input: exit with nothing left running
	}
	s.step(evStartFailed, f, ReasonExit)
}

// watchChild starts the new child's monitors.
func (s *Supervisor) watchChild() {
	if s.cfg.Health != nil {
		s.watch(s.child.ctx, s.st.Pid, s.cfg.Health)
	}
	for _, m := range s.cfg.Watchers {
		s.watch(s.child.ctx, s.st.Pid, m)
	}
}

func (s *Supervisor) watch(ctx context.Context, pid int, m Monitor) {
	report := func(r Report) {
		select {
		case s.reports <- childReport{pid: pid, r: r}:
		case <-ctx.Done():
		}
	}
	s.wg.Go(func() { m.Watch(ctx, pid, report) })
}

// warnDaemonized runs after a child exited 0 soon after its start: if the
// health URL still answers, the program double-forked and left a detached
// server behind that no supervisor tracks.
func (s *Supervisor) warnDaemonized() {
	ctx, cancel := context.WithTimeout(context.Background(), answeringTimeout)
	defer cancel()
	if ok, desc := s.cfg.Health.Answering(ctx); ok {
		s.log.Error("the child exited 0 during startup while the health URL still answers: it daemonized "+
			"(double-forked). The program must run in the foreground (Hermes WebUI: --foreground or "+
			"HERMES_WEBUI_FOREGROUND=1)", zap.String("answering", desc))
	}
}
