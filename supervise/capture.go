package supervise

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// BundleAbandoned is the result of a capture the loop stopped waiting for
// (it overran CaptureTimeout), for the metrics beside diagnose's results.
const BundleAbandoned = "abandoned"

// captureRun is one capture the loop started. Only the loop touches it.
type captureRun struct {
	pid       int
	reason    string
	restart   bool // the restart's bundle, not a warning's
	start     time.Time
	cancel    context.CancelFunc
	abandoned bool // the loop stopped waiting; its late result is dropped
}

type captureResult struct {
	run *captureRun
	dir string
	err error
}

// capture starts a bundle off the loop. The loop's own timer bounds it
// (CaptureTimeout): a capturer that ignores its context cannot hold up
// the restart.
func (s *Supervisor) capture(restart bool) {
	reason := s.reason
	if !restart {
		reason = s.warnWhy
	}
	ctx, cancel := context.WithCancel(context.Background())
	if s.cfg.CaptureTimeout > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), s.cfg.CaptureTimeout)
		s.armTimer(s.cfg.CaptureTimeout)
	}
	run := &captureRun{pid: s.st.Pid, reason: reason, restart: restart, start: time.Now(), cancel: cancel}
	s.capt = run
	s.emit(CaptureStarted{At: run.start, Pid: run.pid, Reason: reason, Restart: restart})
	if !restart {
		s.log.Info("capturing a diagnostics bundle; the child keeps running", zap.Int("pid", run.pid), zap.String("reason", reason))
	}
	childStart := s.st.StartedAt
	s.captures.Go(func() {
		defer cancel()
		dir, err := s.cfg.Capture.Capture(ctx, run.pid, reason, childStart)
		select {
		case s.captured <- captureResult{run: run, dir: dir, err: err}:
		case <-s.quit:
		}
	})
}

// captureDone handles a capture's result: the current one moves the
// machine on; a cancelled one (its child exited) is still reported.
func (s *Supervisor) captureDone(res captureResult) {
	if res.run.abandoned {
		s.log.Debug("an abandoned capture returned", zap.Int("pid", res.run.pid), zap.String("dir", res.dir), zap.Error(res.err))
		return
	}
	s.finished(res.run, res.dir, res.err, false)
	if res.run != s.capt {
		return
	}
	s.capt = nil
	s.stopTimer() // it bounded this capture
	f := s.facts()
	f.restartCap = res.run.restart
	s.step(evCaptured, f, s.reason)
}

func (s *Supervisor) finished(run *captureRun, dir string, err error, abandoned bool) {
	if dir != "" {
		s.st.LastBundle = dir
	}
	s.emit(CaptureFinished{At: time.Now(), Pid: run.pid, Reason: run.reason, Restart: run.restart,
		Dir: dir, Err: err, Took: time.Since(run.start), Abandoned: abandoned})
}

// abandonCapture gives up on a capture that overran the loop's bound.
func (s *Supervisor) abandonCapture() {
	run := s.capt
	if run == nil {
		return
	}
	s.capt = nil
	run.abandoned = true
	run.cancel()
	s.log.Warn("diagnostics capture overran its bound; abandoned", zap.Int("pid", run.pid),
		zap.String("reason", run.reason), zap.Duration("bound", s.cfg.CaptureTimeout))
	s.finished(run, "", nil, true)
}

// cancelCapture cuts the capture in flight short when the child is going
// anyway (it exited, or hsup is told to stop); what it wrote is still
// reported when it returns.
func (s *Supervisor) cancelCapture() {
	if s.capt != nil {
		s.capt.cancel()
		s.capt = nil
	}
}
