package diagnose

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/hsup/hsup/fdlimit"
)

// Pressure defaults.
const (
	DefaultWarn     = 0.8
	DefaultInterval = 10 * time.Second
)

// PressureReason is the reason Pressure reports and passes to Capture.
const PressureReason = "fd_pressure"

// Pressure watches a child's open descriptors against its RLIMIT_NOFILE.
// Crossing Warn logs one warning and captures one bundle, once per
// crossing: it re-arms when the count drops back below Warn. Crossing
// Restart reports the child degraded, and the supervisor captures and
// restarts.
type Pressure struct {
	Warn     float64       // fraction of the limit; 0 = DefaultWarn, < 0 = no warnings
	Restart  float64       // fraction of the limit; 0 = off
	Interval time.Duration // between counts; 0 = DefaultInterval
	Limit    uint64        // used when the child's own limit cannot be read (macOS); 0 = none

	Capture func(ctx context.Context, pid int, reason string) // may be nil
	OnCount func(open int, limit uint64)                      // may be nil; every successful count, for metrics
	Log     *zap.Logger                                       // may be nil
}

// pressureAction is what one count leads to.
type pressureAction int

const (
	pressureNone pressureAction = iota
	pressureWarn
	pressureRestart
)

func (a pressureAction) String() string {
	return [...]string{"none", "warn", "restart"}[a]
}

// decide is the pure policy: given the open count, the limit (0 = unknown),
// whether a warning is armed and the thresholds, what to do and whether a
// warning is armed afterwards. Restart wins over warn in the same step.
func decide(open int, limit uint64, armed bool, warn, restart float64) (pressureAction, bool) {
	if limit == 0 || open < 0 {
		return pressureNone, armed
	}
	frac := float64(open) / float64(limit)
	switch {
	case restart > 0 && frac >= restart:
		return pressureRestart, false
	case warn > 0 && frac >= warn:
		if armed {
			return pressureWarn, false
		}
		return pressureNone, false
	default:
		return pressureNone, true
	}
}

// Watch counts pid's descriptors now and every Interval until ctx is done.
// Like the health monitor it never reports healthy: it calls
// report(false, "fd_pressure") once when Restart is crossed, then returns.
// Capture, when called, runs on Watch's goroutine (it is time-bounded).
func (p *Pressure) Watch(ctx context.Context, pid int, report func(healthy bool, reason string)) {
	warn, interval, log := p.Warn, p.Interval, p.Log
	if warn == 0 {
		warn = DefaultWarn
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	if log == nil {
		log = zap.NewNop()
	}
	log = log.With(zap.Int("pid", pid))
	m := meter{log: log, fallback: p.Limit}
	armed := true
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		open, limit, ok := m.measure(pid)
		if ok {
			if p.OnCount != nil {
				p.OnCount(open, limit)
			}
			var act pressureAction
			act, armed = decide(open, limit, armed, warn, p.Restart)
			if p.act(ctx, act, pid, open, limit, log, report) {
				return
			}
		}
		timer.Reset(interval)
	}
}

// act carries out a decision; it reports whether Watch is done.
func (p *Pressure) act(ctx context.Context, act pressureAction, pid, open int, limit uint64, log *zap.Logger, report func(bool, string)) bool {
	fields := []zap.Field{zap.Int("open_fds", open), zap.Uint64("nofile_limit", limit)}
	switch act {
	case pressureWarn:
		log.Warn("child is close to its open-file limit; capturing a diagnostics bundle (raise --nofile or look for a descriptor leak)", fields...)
		if p.Capture != nil {
			p.Capture(ctx, pid, PressureReason)
		}
	case pressureRestart:
		log.Warn("child is at its open-file limit; restarting it", fields...)
		report(false, PressureReason)
		return true
	}
	return false
}

// meter counts and finds the limit, logging each kind of failure once
// rather than every Interval.
type meter struct {
	log                    *zap.Logger
	fallback               uint64
	countFailed, noLimitOK bool
}

func (m *meter) measure(pid int) (int, uint64, bool) {
	open, err := fdlimit.Count(pid)
	if err != nil {
		if !m.countFailed {
			m.log.Warn("cannot count the child's open files; FD pressure is not watched until it works", zap.Error(err))
		}
		m.countFailed = true
		return 0, 0, false
	}
	m.countFailed = false
	limit, err := fdlimit.SoftLimit(pid)
	if err != nil {
		limit = m.fallback
		if !m.noLimitOK {
			m.log.Debug("child's RLIMIT_NOFILE not readable; using the configured limit",
				zap.Uint64("limit", limit), zap.Error(err))
			m.noLimitOK = true
		}
	}
	return open, limit, true
}
