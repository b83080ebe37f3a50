package supervise

import (
	"slices"
	"strconv"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// do carries out an action and returns the fields its announcement carries.
func (s *Supervisor) do(a action) []zap.Field {
	switch a {
	case doStart:
		s.launch()
	case doWatch:
		s.watchChild()
	case doCapture:
		s.capture(true)
	case doWarnCapt:
		s.capture(false)
	case doAbandon:
		s.abandonCapture()
		if s.st.State == Stopping { // it was the restart's capture: go on with the stop
			s.stop()
		}
	case doStop:
		s.stop()
	case doKill:
		s.kill()
	case doBackoff:
		return s.backoff()
	case doExit:
		s.emit(Exiting{At: time.Now(), Code: s.exitCode()})
	}
	return nil
}

// exited handles the child's exit: the reason it ended decides, with the
// restart policy, whether it comes back.
func (s *Supervisor) exited(code int) {
	c := s.child
	s.child, s.lastPid = nil, c.proc.Pid()
	c.cancel()
	s.cancelCapture()
	if s.st.State == Starting || s.st.State == Running {
		s.reason, s.detail = ReasonExit, exitSentence(code)
	}
	s.healthyFor, s.ranFor = 0, time.Since(c.started)
	if !s.st.RunningSince.IsZero() {
		s.healthyFor = time.Since(s.st.RunningSince)
	}
	daemonized := s.reason == ReasonExit && code == 0 && time.Since(c.started) < s.cfg.DaemonizeWindow
	s.sweepExit(c.proc.Pid(), c.proc.Pgid(), c.proc.Swept(), s.st.Members, daemonized)
	s.st.Pid, s.st.Pgid, s.st.StartedAt, s.st.RunningSince, s.st.Members = 0, 0, time.Time{}, time.Time{}, nil
	s.st.Verdict, s.st.VerdictDetail = "", ""
	s.st.LastExitCode, s.st.Exited = code, true
	logExit := s.log.Info
	if s.reason == ReasonExit && code != 0 { // a crash, not a stop hsup asked for
		logExit = s.log.Warn
	}
	logExit("child exited", zap.Int("pid", s.lastPid), zap.Int("code", code), zap.String("reason", s.reason))
	s.emit(ChildExited{At: time.Now(), Pid: s.lastPid, Code: code, Reason: s.reason})
	f := s.facts()
	f.restart = !s.st.Shutdown && shouldRestart(s.cfg.Restart, s.reason, code)
	f.giveUp = f.restart && s.givingUp()
	s.step(evExited, f, s.reason)
}

// givingUp judges the restart about to be decided against the crash-loop
// policy; when it says give up, it logs and announces why.
func (s *Supervisor) givingUp() bool {
	streak := s.cfg.Backoff.NextAttempt(s.attempt, s.healthyFor) + 1
	if _, _, giveUp := s.cfg.CrashLoop.Judge(streak); !giveUp {
		return false
	}
	s.gaveUp = true
	s.log.Error("giving up: the child never ran healthy for --backoff-reset in "+strconv.Itoa(streak-1)+
		" restarts in a row (--give-up-after); hsup exits so that the service manager's limits apply",
		zap.Int("restarts", streak-1), zap.String("reason", s.reason), zap.String("detail", s.detail),
		zap.Int("exit_code", s.st.LastExitCode), zap.Int("hsup_exit_code", ExitGaveUp))
	s.emit(GaveUp{At: time.Now(), Restarts: streak - 1, Reason: s.reason, Detail: s.detail, Code: s.st.LastExitCode})
	return true
}

// report handles one message from a monitor of the current child.
func (s *Supervisor) report(cr childReport) {
	if s.child == nil || cr.pid != s.child.proc.Pid() {
		return // about a child that is gone
	}
	r := cr.r
	if r.Probe != nil {
		s.st.ProbeFailures, s.st.HeartbeatKnown = r.Probe.Failures, r.Probe.HeartbeatKnown
		s.st.HeartbeatValue, s.st.HeartbeatAdvancedAt = r.Probe.HeartbeatValue, r.Probe.HeartbeatAdvancedAt
	}
	if r.FDs != nil {
		s.st.FDsKnown, s.st.OpenFDs, s.st.FDLimit = true, r.FDs.Open, r.FDs.Limit
	}
	if r.Tree != nil && !slices.Equal(r.Tree, s.st.Members) {
		s.st.Members = r.Tree
		s.emit(TreeChanged{At: time.Now(), Pid: s.st.Pid, Pgid: s.st.Pgid, Members: r.Tree})
	}
	switch r.Verdict {
	case VerdictHealthy:
		s.healthy("healthy")
	case VerdictDegraded:
		s.degraded(r)
	case VerdictWarn:
		s.warn(r)
	}
}

func (s *Supervisor) healthy(why string) {
	if s.st.State != Starting {
		return
	}
	s.st.RunningSince = time.Now()
	s.step(evHealthy, s.facts(), why)
	s.emit(ChildHealthy{At: s.st.RunningSince, Pid: s.st.Pid})
}

func (s *Supervisor) degraded(r Report) {
	if s.st.State != Starting && s.st.State != Running {
		return // a second verdict while the first is being acted on
	}
	s.reason, s.detail = r.Reason, r.Detail
	s.st.Verdict, s.st.VerdictDetail = r.Reason, r.Detail
	s.emit(ChildDegraded{At: time.Now(), Pid: s.st.Pid, Reason: r.Reason, Detail: r.Detail})
	f := s.facts()
	f.capture = f.capture && !r.NoBundle
	s.step(evDegraded, f, r.Reason)
}

func (s *Supervisor) warn(r Report) {
	f := s.facts()
	if f.capturing || !f.capture {
		s.log.Debug("no warning bundle: a capture is in flight or captures are off", zap.String("reason", r.Reason))
	}
	s.warnWhy = r.Reason
	s.step(evWarn, f, r.Reason)
}

func (s *Supervisor) stop() {
	s.cancelCapture()
	s.child.cancel() // no more verdicts: the child is going
	s.emit(ChildStopping{At: time.Now(), Pid: s.st.Pid, Signal: s.cfg.StopSignal, Reason: s.reason, Shutdown: s.st.Shutdown})
	s.signalGroup(s.cfg.StopSignal)
	// A SIGSTOPped process cannot act on the stop signal until continued.
	s.signalGroup(syscall.SIGCONT)
	s.sweep(s.cfg.StopSignal)
	s.armTimer(s.cfg.StopGrace)
}

func (s *Supervisor) kill() {
	s.log.Warn("child ignored the stop signal; killing its process group",
		zap.Int("pid", s.st.Pid), zap.Duration("grace", s.cfg.StopGrace))
	s.emit(ChildKilled{At: time.Now(), Pid: s.st.Pid, Grace: s.cfg.StopGrace})
	s.signalGroup(syscall.SIGKILL)
	s.sweep(syscall.SIGKILL)
}

func (s *Supervisor) signalGroup(sig syscall.Signal) {
	if s.child == nil {
		return
	}
	if err := s.child.proc.Signal(sig, true); err != nil {
		s.log.Warn("signal child group", zap.Stringer("signal", sig), zap.Error(err))
	}
}

// backoff applies the pure backoff step for the restart just decided and
// arms its timer.
func (s *Supervisor) backoff() []zap.Field {
	var delay time.Duration
	delay, s.attempt = s.cfg.Backoff.Next(s.attempt, s.healthyFor, s.cfg.Rand())
	announce, looping, _ := s.cfg.CrashLoop.Judge(s.attempt)
	if looping { // retry at the cap: a crash loop gains nothing from fast retries
		delay = s.cfg.Backoff.Max
	}
	delay = Wait(delay, s.ranFor)
	if announce {
		s.log.Warn("crash loop: the child has not run healthy for --backoff-reset in "+strconv.Itoa(s.attempt)+
			" restarts in a row; retrying every --backoff-max", zap.Int("restarts", s.attempt),
			zap.String("reason", s.reason), zap.String("detail", s.detail), zap.Int("exit_code", s.st.LastExitCode))
		s.emit(CrashLoop{At: time.Now(), Restarts: s.attempt, Reason: s.reason, Detail: s.detail, Code: s.st.LastExitCode})
	}
	s.st.Restarts++
	s.st.LastRestartReason, s.st.LastRestartDetail = s.reason, s.detail
	s.st.Backoff, s.st.BackoffUntil = delay, time.Now().Add(delay)
	s.emit(BackingOff{At: time.Now(), Delay: delay, Attempt: s.attempt, Restarts: s.st.Restarts,
		Reason: s.reason, Detail: s.detail})
	s.armTimer(delay)
	return []zap.Field{zap.Duration("backoff", delay), zap.Int("restarts", s.st.Restarts), zap.Int("exit_code", s.st.LastExitCode)}
}

// armTimer points the loop's one timer at d from now.
func (s *Supervisor) armTimer(d time.Duration) {
	s.stopTimer()
	s.timer = time.NewTimer(d)
	s.timerC = s.timer.C
}

func (s *Supervisor) stopTimer() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer, s.timerC = nil, nil
	}
}
