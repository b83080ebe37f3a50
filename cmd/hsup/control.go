package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/hsup/hsup/control"
	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/ledger"
	"github.com/hsup/hsup/supervise"
)

// operator is what hsup keeps for its operator beside the supervisor: the
// ledger (durable record) and the control socket (status, restart,
// capture). Either may be missing (no state directory, a volume that
// failed): one warning each, and supervision goes on.
type operator struct {
	ledger  *ledger.Ledger
	control *control.Server
	capts   *captures
}

// newOperator opens the ledger and binds the control socket of the
// service svc holds; sup is the supervisor that current will hold.
func newOperator(s settings, svc *claim, argv []string, log *zap.Logger, w wiring, current *atomic.Pointer[supervise.Supervisor]) *operator {
	var mon *healthcheck.Monitor
	if h, ok := w.cfg.Health.(healthMonitor); ok {
		mon = h.mon
	}
	op := &operator{capts: newCaptures()}
	op.ledger = openLedger(s, svc, argv, log, ledgerFacts(s, mon, current.Load))
	if svc.dir == nil {
		return op
	}
	svcs := &controlService{name: s.name, sup: current.Load, mon: mon, capts: op.capts, started: time.Now()}
	path := filepath.Join(svc.dir.Path, control.SocketName)
	var srv *control.Server // set by the step; read only when it finished in time
	err := within(volumeWait, "binding the control socket", func() error {
		var err error
		srv, err = control.Listen(path, control.Config{Service: svcs, Log: log,
			CaptureTimeout: s.diagTimeout + s.dumpWait + 10*time.Second, FDs: svcs.openFDs})
		return err
	})
	if err != nil {
		log.Warn("no control socket: hsup status, restart and capture cannot reach this hsup", zap.Error(err))
		return op
	}
	op.control = srv
	return op
}

// observe is the supervisor's event observer for the ledger and the
// capture waiters; it runs on the loop and only formats and queues.
func (op *operator) observe(e supervise.Event) {
	op.capts.observe(e)
	if op.ledger != nil {
		op.ledger.Observe(e)
	}
}

// companions are the control server and the ledger's closing, as actors
// of the run group.
func (op *operator) companions() []actor {
	var as []actor
	if op.control != nil {
		as = append(as, actor{name: "control socket", run: op.control.Serve})
	}
	if op.ledger != nil {
		as = append(as, ledgerCompanion(op.ledger))
	}
	return as
}

// controlService answers the control socket from the supervisor.
type controlService struct {
	name    string
	sup     func() *supervise.Supervisor
	mon     *healthcheck.Monitor // nil when probing is off
	capts   *captures
	started time.Time
}

var _ control.Service = (*controlService)(nil)

func (c *controlService) Status() control.Status {
	now := time.Now()
	self := control.Hsup{Pid: os.Getpid(), Version: versionText(), Started: c.started, UptimeMS: now.Sub(c.started).Milliseconds()}
	sup := c.sup()
	if sup == nil {
		return control.Status{Schema: control.Schema, Name: c.name, Now: now, Hsup: self, State: supervise.Backoff.String()}
	}
	var snap *healthcheck.Snapshot
	if c.mon != nil {
		s := c.mon.Snapshot()
		snap = &s
	}
	return controlStatus(c.name, sup.Status(), snap, self, now)
}

func (c *controlService) Restart(ctx context.Context) error {
	sup := c.sup()
	if sup == nil {
		return fmt.Errorf("%w: hsup is starting", control.ErrRefused)
	}
	return refusal(sup.Ask(ctx, supervise.RequestRestart))
}

// Capture asks for a bundle and waits for the CaptureFinished of the
// capture the request started.
func (c *controlService) Capture(ctx context.Context) (string, error) {
	sup := c.sup()
	if sup == nil {
		return "", fmt.Errorf("%w: hsup is starting", control.ErrRefused)
	}
	if err := sup.Ask(ctx, supervise.RequestCapture); err != nil {
		return "", refusal(err)
	}
	// The loop emitted the capture's CaptureStarted before it answered,
	// and starts no other capture while this one runs.
	started, ok := c.capts.lastStarted()
	if !ok || started.reason != supervise.ReasonManual || started.restart {
		return "", errors.New("the capture began, but its start was not seen")
	}
	done, err := c.capts.wait(ctx, started)
	if err != nil {
		return "", fmt.Errorf("waiting for the bundle: %w", err)
	}
	return captureOutcome(done)
}

// openFDs is the child's open-FD count, for the control socket's trend.
func (c *controlService) openFDs() (int, bool) {
	sup := c.sup()
	if sup == nil {
		return 0, false
	}
	st := sup.Status()
	return st.OpenFDs, st.FDsKnown && st.Pid != 0
}

// refusal makes an Ask's error a control.ErrRefused, except that a
// request out of time stays a timeout.
func refusal(err error) error {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: %w", control.ErrRefused, err)
}

// captureOutcome is what an operator's capture came to: the bundle's
// directory, or why there is none.
func captureOutcome(d captureDone) (string, error) {
	switch {
	case d.abandoned:
		return "", errors.New("the capture overran its bound and was abandoned; see hsup's log")
	case d.dir == "" && d.err != nil:
		return "", fmt.Errorf("no bundle was written: %w", d.err)
	case d.dir == "":
		return "", errors.New("no bundle was written; see hsup's log")
	}
	return d.dir, nil
}

// captures follows the supervisor's captures for the operators waiting on
// one: the observer records them on the loop (a short lock, no I/O); a
// waiter looks for the CaptureFinished of the capture it started.
type captures struct {
	mu       sync.Mutex
	started  captureStart
	seen     bool
	finished int64         // CaptureFinished events so far
	done     []captureDone // the latest, at most keptCaptures
	changed  chan struct{} // closed (and replaced) on every capture event
}

// captureStart is a CaptureStarted, with how many captures had finished
// before it (its own CaptureFinished comes later).
type captureStart struct {
	pid            int
	reason         string
	restart        bool
	finishedBefore int64
}

// captureDone is a CaptureFinished and its place in the order of them.
type captureDone struct {
	n         int64
	pid       int
	reason    string
	restart   bool
	dir       string
	err       error
	abandoned bool
}

// keptCaptures bounds the finished captures kept for waiters: a waiter
// looks for its own within a CaptureTimeout, far fewer than this.
const keptCaptures = 16

func newCaptures() *captures { return &captures{changed: make(chan struct{})} }

// observe records capture events; it runs on the supervisor's loop.
func (c *captures) observe(e supervise.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e := e.(type) {
	case supervise.CaptureStarted:
		c.started, c.seen = captureStart{pid: e.Pid, reason: e.Reason, restart: e.Restart, finishedBefore: c.finished}, true
	case supervise.CaptureFinished:
		c.finished++
		c.done = append(c.done, captureDone{n: c.finished, pid: e.Pid, reason: e.Reason, restart: e.Restart,
			dir: e.Dir, err: e.Err, abandoned: e.Abandoned})
		if len(c.done) > keptCaptures {
			c.done = c.done[len(c.done)-keptCaptures:]
		}
	default:
		return
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// lastStarted is the latest capture started; ok false before any.
func (c *captures) lastStarted() (captureStart, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.started, c.seen
}

// wait returns the CaptureFinished of capture s, or ctx's error.
func (c *captures) wait(ctx context.Context, s captureStart) (captureDone, error) {
	for {
		c.mu.Lock()
		for _, d := range c.done {
			if d.n > s.finishedBefore && d.pid == s.pid && d.reason == s.reason && d.restart == s.restart {
				c.mu.Unlock()
				return d, nil
			}
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return captureDone{}, ctx.Err()
		}
	}
}

// controlStatus is the control socket's status of the supervisor's
// published status st, the health monitor's snapshot (nil: no probing)
// and hsup's own facts, as of now. Unknown values are left out.
func controlStatus(name string, st supervise.Status, snap *healthcheck.Snapshot, self control.Hsup, now time.Time) control.Status {
	out := control.Status{Schema: control.Schema, Name: name, Now: now, Hsup: self, State: st.State.String(),
		Restarts: st.Restarts, LastBundle: st.LastBundle, Shutdown: st.Shutdown}
	if st.Pid != 0 {
		out.Child = &control.Child{Pid: st.Pid, Pgid: st.Pgid, Started: st.StartedAt, RunningSince: st.RunningSince}
		if !st.StartedAt.IsZero() {
			out.Child.UptimeMS = now.Sub(st.StartedAt).Milliseconds()
		}
	}
	if st.LastRestartReason != "" {
		out.LastRestart = &control.Verdict{Reason: st.LastRestartReason, Sentence: st.LastRestartDetail}
	}
	if st.Exited {
		code := st.LastExitCode
		out.LastExitCode = &code
	}
	if st.State == supervise.Backoff && st.Backoff > 0 {
		out.Backoff = &control.Backoff{DelayMS: st.Backoff.Milliseconds(), Until: st.BackoffUntil,
			RemainingMS: max(st.BackoffUntil.Sub(now), 0).Milliseconds()}
	}
	if st.Verdict != "" {
		out.Verdict = &control.Verdict{Reason: st.Verdict, Sentence: st.VerdictDetail}
	}
	if snap != nil {
		out.Probes = &control.Probes{Failures: st.ProbeFailures, Cheap: controlProbe(snap.Cheap), Deep: controlProbe(snap.Deep)}
	}
	if st.HeartbeatKnown {
		out.Heartbeat = &control.Heartbeat{Value: st.HeartbeatValue, AdvancedAt: st.HeartbeatAdvancedAt}
		if !st.HeartbeatAdvancedAt.IsZero() {
			out.Heartbeat.AgeMS = now.Sub(st.HeartbeatAdvancedAt).Milliseconds()
		}
	}
	if st.FDsKnown && st.Pid != 0 {
		out.FDs = &control.FDs{Open: st.OpenFDs, Limit: st.FDLimit}
	}
	return out
}

func controlProbe(o *healthcheck.Outcome) *control.Probe {
	if o == nil {
		return nil
	}
	return &control.Probe{Result: string(o.Result), Status: o.Status, LatencyMS: float64(o.Duration.Microseconds()) / 1000,
		At: o.At, Detail: o.Detail}
}
