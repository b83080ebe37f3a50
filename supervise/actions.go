package supervise

import (
	"context"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// handle feeds one event to the state machine and carries out its action.
func (s *Supervisor) handle(e event, reason string) {
	f := facts{capture: s.cfg.Capture != nil}
	if e == evShutdown {
		s.shutdown = true
		if s.reason == "" {
			s.reason = "shutdown"
		}
	}
	to, act := next(s.state, e, f)
	if to != s.state && act != doStart { // start() enters Starting once the child has a pid
		s.transition(to, reason, nil)
	}
	s.do(act)
}

// exited handles the child's exit: the reason it ended decides, with the
// restart policy, whether it comes back.
func (s *Supervisor) exited(code int) {
	c := s.child
	s.child, s.lastCode = nil, code
	c.cancel()
	s.cancelCapture()
	if s.state == Starting || s.state == Running {
		s.reason = ReasonExit
	}
	s.log.Info("child exited", zap.Int("pid", c.proc.Pid()), zap.Int("code", code), zap.String("reason", s.reason))
	if s.reason == ReasonExit && code == 0 && s.cfg.Health != nil &&
		s.cfg.Clock.Now().Sub(c.started) < s.cfg.DaemonizeWindow {
		s.wg.Go(func() { s.warnDaemonized() })
	}
	f := facts{capture: s.cfg.Capture != nil, restart: !s.shutdown && shouldRestart(s.cfg.Restart, s.reason, code)}
	to, act := next(s.state, evExited, f)
	s.transition(to, s.reason, &exitInfo{pid: c.proc.Pid(), code: code, healthyFor: s.healthyFor(c)})
	s.do(act)
}

type exitInfo struct {
	pid        int
	code       int
	healthyFor time.Duration
}

func (s *Supervisor) healthyFor(c *child) time.Duration {
	if c.runningAt.IsZero() {
		return 0
	}
	return s.cfg.Clock.Now().Sub(c.runningAt)
}

func (s *Supervisor) verdict(v verdict) {
	if s.child == nil || v.pid != s.child.proc.Pid() {
		return // about a child that is gone
	}
	if v.healthy {
		if s.state == Starting {
			s.child.runningAt = s.cfg.Clock.Now()
		}
		s.handle(evHealthy, "healthy")
		return
	}
	if s.state == Starting || s.state == Running {
		s.reason = v.reason
		s.handle(evDegraded, v.reason)
	}
}

func (s *Supervisor) captureDone(pid int) {
	if s.child != nil && s.child.proc.Pid() == pid && s.state == Capturing {
		s.captureEnd = nil
		s.handle(evCaptured, s.reason)
	}
}

// do carries out an action.
func (s *Supervisor) do(a action) {
	switch a {
	case doCapture:
		s.capture()
	case doStop:
		s.stop()
	case doKill:
		s.log.Warn("child ignored the stop signal; killing its process group",
			zap.Int("pid", s.child.proc.Pid()), zap.Duration("grace", s.cfg.StopGrace))
		s.signalGroup(syscall.SIGKILL)
	case doBackoff:
		s.armTimer(s.lastBackoff)
	case doStart:
		s.start()
	}
}

func (s *Supervisor) stop() {
	s.cancelCapture()
	s.child.cancel() // no more verdicts: the child is going
	s.signalGroup(s.cfg.StopSignal)
	// A SIGSTOPped process cannot act on the stop signal until continued.
	s.signalGroup(syscall.SIGCONT)
	s.armTimer(s.cfg.StopGrace)
}

func (s *Supervisor) signalGroup(sig syscall.Signal) {
	if s.child == nil {
		return
	}
	if err := s.child.proc.Signal(sig, true); err != nil {
		s.log.Warn("signal child group", zap.Stringer("signal", sig), zap.Error(err))
	}
}

func (s *Supervisor) capture() {
	ctx, cancel := context.WithCancel(context.Background())
	if s.cfg.CaptureTimeout > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), s.cfg.CaptureTimeout)
	}
	s.captureEnd = cancel
	pid, started, reason := s.child.proc.Pid(), s.child.started, s.reason
	s.wg.Go(func() {
		defer cancel()
		// The Capturer logs its own outcome; this line is for debugging the loop.
		dir, err := s.cfg.Capture.Capture(ctx, pid, reason, started)
		s.log.Debug("capture returned", zap.Int("pid", pid), zap.String("dir", dir), zap.Error(err))
		select {
		case s.captured <- pid:
		case <-s.quit:
		}
	})
}

func (s *Supervisor) cancelCapture() {
	if s.captureEnd != nil {
		s.captureEnd()
		s.captureEnd = nil
	}
}

func (s *Supervisor) armTimer(d time.Duration) {
	s.stopTimer()
	s.timer = s.cfg.Clock.NewTimer(d)
	s.timerC = s.timer.C()
}

func (s *Supervisor) stopTimer() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer, s.timerC = nil, nil
	}
}
