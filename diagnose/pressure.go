package diagnose

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/hsup/hsup/fdlimit"

	"github.com/hsup/hsup/tick"
)

// Pressure defaults.
const (
	DefaultWarn     = 0.8
	DefaultInterval = 10 * time.Second
)

// PressureReason is the reason Pressure reports and passes to Capture.
const PressureReason = "fd_pressure"

// Pressure watches a child's open descriptors against its RLIMIT_NOFILE.
// Crossing Warn asks for one bundle (the supervisor captures it without a
// restart), once per crossing: it re-arms when the count drops back below
// Warn. Crossing Restart reports the child degraded; the supervisor
// captures and restarts. Pressure decides nothing else and captures
// nothing itself: the supervisor's loop owns every capture.
type Pressure struct {
	Warn     float64       // fraction of the limit; 0 = DefaultWarn, < 0 = no warnings
	Restart  float64       // fraction of the limit; 0 = off
	Interval time.Duration // between counts; 0 = DefaultInterval
	// Limit is judged against when the child's own limit cannot be read
	// (macOS): the limit hsup knows the child started with; 0 = none, and
	// then nothing is judged. LimitSource says where it came from.
	Limit       uint64
	LimitSource fdlimit.Source
	Log         *zap.Logger // may be nil
	// SoftLimit reads the child's own soft limit; nil is
	// fdlimit.SoftLimit. An error means "not the child's yet, or not
	// readable": Limit is judged against instead.
	SoftLimit func(pid int) (uint64, error)

	// count is the measurement seam: nil means fdlimit.Count.
	count func(pid int) (int, error)
}

// Action is what one count leads to.
type Action int

// Actions of a Reading.
const (
	ActNone    Action = iota
	ActWarn           // a warning bundle, the child keeps running
	ActRestart        // degraded: capture, then restart
)

func (a Action) String() string {
	return [...]string{"none", "warn", "restart"}[a]
}

// Reading is one successful count and what it leads to.
type Reading struct {
	Open   int
	Limit  uint64         // the soft limit judged against (the child's own, or Pressure.Limit); 0 = unknown
	Source fdlimit.Source // where Limit came from; "" when unknown
	Action Action
	Detail string // one sentence for ActWarn and ActRestart
}

// decide is the pure policy: given the open count, the limit (0 = unknown),
// whether a warning is armed and the thresholds, what to do and whether a
// warning is armed afterwards. Restart wins over warn in the same step.
func decide(open int, limit uint64, armed bool, warn, restart float64) (Action, bool) {
	if limit == 0 || open < 0 {
		return ActNone, armed
	}
	frac := float64(open) / float64(limit)
	switch {
	case restart > 0 && frac >= restart:
		return ActRestart, false
	case warn > 0 && frac >= warn:
		if armed {
			return ActWarn, false
		}
		return ActNone, false
	default:
		return ActNone, true
	}
}

// Watch counts pid's descriptors now and every Interval until ctx is done,
// and reports every successful count. After a Reading with ActRestart it
// returns. report blocks until its reader takes the reading or ctx is done.
//
// hsup's own pause (SIGSTOP, `docker pause`, a system sleep) needs no
// handling here, unlike in the health watcher: a tick that comes late
// counts afresh, then and there, and decide judges that one count against
// the limit. Nothing measured before the pause is carried over except
// armed, which says whether the next crossing of Warn is a new one; there
// is no rate, trend or deadline to start over. (Should a trend be added,
// it must start over after a late tick, as the health watcher's counts do.)
func (p *Pressure) Watch(ctx context.Context, pid int, report func(Reading)) {
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
	m := p.meter(log)
	armed := true
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if open, limit, source, ok := m.measure(pid); ok {
			r := Reading{Open: open, Limit: limit, Source: source}
			r.Action, armed = decide(open, limit, armed, warn, p.Restart)
			r.Detail = explain(r, log)
			report(r)
			if r.Action == ActRestart {
				return
			}
		}
		timer.Reset(tick.Next(time.Now(), interval))
	}
}

// explain logs a reading that leads somewhere and returns its sentence.
func explain(r Reading, log *zap.Logger) string {
	fields := []zap.Field{zap.Int("open_fds", r.Open), zap.Uint64("nofile_limit", r.Limit), zap.String("nofile_source", string(r.Source))}
	switch r.Action {
	case ActWarn:
		log.Warn("child is close to its open-file limit; capturing a diagnostics bundle (raise --nofile or look for a descriptor leak)", fields...)
		return fmt.Sprintf("%d of %d file descriptors open", r.Open, r.Limit)
	case ActRestart:
		log.Warn("child is at its open-file limit; restarting it", fields...)
		return fmt.Sprintf("%d of %d file descriptors open", r.Open, r.Limit)
	}
	return ""
}

// gone reports whether pid no longer exists (a crash-looping child exits
// before its first count).
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// judgeLimit is the pure choice of the limit a count is judged against:
// the child's own when it could be read, else the fallback with its
// source, else none (0, "").
func judgeLimit(own uint64, ownErr error, fallback uint64, source fdlimit.Source) (uint64, fdlimit.Source) {
	switch {
	case ownErr == nil:
		return own, fdlimit.SourceChild
	case fallback > 0:
		return fallback, source
	}
	return 0, ""
}

// meter counts and finds the limit, logging each kind of failure once
// rather than every Interval.
type meter struct {
	log                      *zap.Logger
	fallback                 uint64
	source                   fdlimit.Source
	count                    func(pid int) (int, error)
	softLimit                func(pid int) (uint64, error)
	countFailed, limitLogged bool
}

// meter is a meter on p's fallback and seams.
func (p *Pressure) meter(log *zap.Logger) *meter {
	m := &meter{log: log, fallback: p.Limit, source: p.LimitSource, count: p.count, softLimit: p.SoftLimit}
	if m.count == nil {
		m.count = fdlimit.Count
	}
	if m.softLimit == nil {
		m.softLimit = fdlimit.SoftLimit
	}
	return m
}

// measure counts pid's descriptors and finds the limit to judge them
// against; false when they could not be counted.
func (m *meter) measure(pid int) (int, uint64, fdlimit.Source, bool) {
	open, err := m.count(pid)
	if err != nil {
		if !m.countFailed && !gone(pid) { // a child that already exited is not a counting problem
			m.log.Warn("cannot count the child's open files; FD pressure is not watched until it works", zap.Error(err))
		}
		m.countFailed = true
		return 0, 0, "", false
	}
	m.countFailed = false
	own, err := m.softLimit(pid)
	limit, source := judgeLimit(own, err, m.fallback, m.source)
	if err != nil && !m.limitLogged {
		m.limitLogged = true
		if limit == 0 {
			m.log.Warn("child's RLIMIT_NOFILE is not readable and hsup knows no limit it started with; FD pressure is not judged", zap.Error(err))
		} else {
			m.log.Debug("child's RLIMIT_NOFILE not readable; judging against the limit it started with",
				zap.Uint64("limit", limit), zap.String("source", string(source)), zap.Error(err))
		}
	}
	return open, limit, source, true
}
