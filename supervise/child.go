package supervise

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// preflightTimeout bounds the "is something already answering?" probe.
const preflightTimeout = 2 * time.Second

// start starts a replacement child after a backoff.
func (s *Supervisor) start() {
	s.preflight()
	proc, err := s.cfg.Start(s.cfg.Spec)
	if err != nil {
		s.startFailed(err)
		return
	}
	s.adopt(proc, "restarted")
}

// startFailed treats a child that could not be started (its program was
// removed, say) as one that exited at once with 127 or 126.
func (s *Supervisor) startFailed(err error) {
	se := toStartError(err).(*StartError)
	s.log.Error("start child", zap.Error(se))
	s.lastCode, s.reason = se.Code, ReasonExit
	if !s.shutdown && shouldRestart(s.cfg.Restart, ReasonExit, se.Code) {
		s.transition(Backoff, ReasonExit, &exitInfo{code: se.Code})
		s.armTimer(s.lastBackoff)
		return
	}
	s.transition(Stopped, ReasonExit, &exitInfo{code: se.Code})
}

// adopt makes proc the current child and starts its monitors.
func (s *Supervisor) adopt(proc process, reason string) {
	ctx, cancel := context.WithCancel(context.Background())
	now := s.cfg.Clock.Now()
	s.child = &child{proc: proc, started: now, cancel: cancel}
	s.reason = ""
	s.transition(Starting, reason, nil)
	if s.cfg.Health != nil {
		s.watch(ctx, proc.Pid(), s.cfg.Health)
	}
	for _, m := range s.cfg.Watchers {
		s.watch(ctx, proc.Pid(), m)
	}
	if s.cfg.Health == nil {
		s.child.runningAt = now
		s.handle(evHealthy, "no health probe")
	}
}

func (s *Supervisor) watch(ctx context.Context, pid int, m Monitor) {
	report := func(healthy bool, reason string) {
		select {
		case s.verdicts <- verdict{pid: pid, healthy: healthy, reason: reason}:
		case <-ctx.Done():
		}
	}
	s.wg.Go(func() { m.Watch(ctx, pid, report) })
}

// preflight logs when something already answers the health URL before a
// child starts: an orphan of an older run holding the port turns every
// start into an instant exit. hsup never kills what it did not start.
func (s *Supervisor) preflight() {
	if s.cfg.Health == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), preflightTimeout)
	defer cancel()
	if ok, desc := s.cfg.Health.Answering(ctx); ok {
		s.log.Error("something already answers the health URL before the child starts; "+
			"an old instance may hold the port (hsup does not kill what it did not start): stop it",
			zap.String("holder", desc))
	}
}

// warnDaemonized runs after a child exited 0 soon after its start: if the
// health URL still answers, the program double-forked and left a detached
// server behind that no supervisor tracks.
func (s *Supervisor) warnDaemonized() {
	ctx, cancel := context.WithTimeout(context.Background(), preflightTimeout)
	defer cancel()
	if ok, desc := s.cfg.Health.Answering(ctx); ok {
		s.log.Error("the child exited 0 during startup while the health URL still answers: it daemonized "+
			"(double-forked). The program must run in the foreground (Hermes WebUI: --foreground or "+
			"HERMES_WEBUI_FOREGROUND=1)", zap.String("answering", desc))
	}
}

// transition enters state to and tells the log and the observer why.
func (s *Supervisor) transition(to State, reason string, exit *exitInfo) {
	ev := Event{At: s.cfg.Clock.Now(), From: s.state, State: to, Reason: reason, Restarts: s.restarts, Shutdown: s.shutdown}
	if s.child != nil {
		ev.Pid = s.child.proc.Pid()
	}
	if exit != nil {
		ev.Exited, ev.ExitCode, ev.Pid = true, exit.code, exit.pid
	}
	if to == Backoff {
		healthy := time.Duration(0)
		if exit != nil {
			healthy = exit.healthyFor
		}
		s.attempt = s.cfg.Backoff.NextAttempt(s.attempt, healthy)
		s.lastBackoff = s.cfg.Backoff.Delay(s.attempt, s.cfg.Rand())
		s.attempt++
		s.restarts++
		ev.Backoff, ev.Restarts = s.lastBackoff, s.restarts
	}
	s.state = to
	fields := []zap.Field{zap.String("from", ev.From.String()), zap.Int("pid", ev.Pid), zap.String("reason", reason)}
	if to == Backoff {
		fields = append(fields, zap.Duration("backoff", ev.Backoff), zap.Int("restarts", ev.Restarts))
	}
	if ev.Exited {
		fields = append(fields, zap.Int("exit_code", ev.ExitCode))
	}
	s.log.Info("child "+to.String(), fields...)
	s.cfg.Observe(ev)
}
