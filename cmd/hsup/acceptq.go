package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
	"go.uber.org/zap"

	"github.com/hsup/hsup/acceptq"
	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/supervise"

	"github.com/hsup/hsup/tick"
)

// acceptSettings are --accept-stall and --listen-port.
type acceptSettings struct {
	stall time.Duration // 0: the watch is off
	port  int           // --listen-port; 0: the health URL's port
}

// readAccept reads and checks --accept-stall and --listen-port.
func readAccept(c *cli.Context) (acceptSettings, error) {
	a := acceptSettings{stall: c.Duration("accept-stall"), port: c.Int("listen-port")}
	if a.stall < 0 {
		return a, usageError("--accept-stall=%v: give a duration such as 2s, or 0 to turn the accept-queue watch off", a.stall)
	}
	if a.port < 0 || a.port > 65535 {
		return a, usageError("--listen-port=%d: give the port the app accepts connections on (1-65535), or 0 for the health URL's", a.port)
	}
	return a, nil
}

// acceptFindMax is the longest wait between two searches for the child's
// listening socket while there is none (the app listens elsewhere, or not
// yet): a search reads the child's tree and descriptors.
const acceptFindMax = 30 * time.Second

// findDelay is the wait after misses failed searches in a row: 1 s,
// doubling to acceptFindMax.
func findDelay(misses int) time.Duration {
	return min(acceptq.SlowInterval<<min(max(misses-1, 0), 5), acceptFindMax)
}

// acceptMonitor is the accept-queue watch, a supervise.Monitor: it finds
// the child's listening socket, samples its queue (acceptq.Interval) and
// reports degraded, reason accept_stall, when the stall rule says so. It
// also records what the heartbeat rule needs (demand) and the last sample
// for bundles (Last). Watch runs for one child at a time; probe, demand
// and Last may be called from other goroutines.
type acceptMonitor struct {
	limit      time.Duration
	port       int
	probesHere [2]bool // whether the cheap and the deep probe go to the watched port
	probing    bool    // a health URL is set: the rule waits for the child's first answer
	log        *zap.Logger

	mu sync.Mutex
	st acceptState // the current (or last) child's
}

// acceptState is what the watch knows of one child.
type acceptState struct {
	pid      int
	watching bool // its socket is found: demand facts are known
	last     acceptq.Sample
	have     bool           // last is set
	window   acceptq.Window // the watch's window as of last
	answered time.Time      // the last probe answered on the watched port
	running  bool           // it answered a probe (or probing is off): the rule applies
	demand   acceptq.Demand // connections that waited or were accepted
}

var _ supervise.Monitor = (*acceptMonitor)(nil)

// newAcceptMonitor returns the watch for settings, or nil when it is off:
// --accept-stall=0, or no port on this machine to watch.
func newAcceptMonitor(s settings, log *zap.Logger) *acceptMonitor {
	if s.accept.stall <= 0 {
		return nil
	}
	m := &acceptMonitor{limit: s.accept.stall, port: acceptPort(s), probing: s.health.URL != "", log: log.Named("acceptq")}
	cheap, cheapLocal, _ := healthcheck.LocalPort(s.health.URL)
	if m.port == 0 {
		if s.health.URL != "" {
			log.Info("accept-queue watch off: the health URL is not on this machine; give --listen-port to watch the app's port",
				zap.String("url", s.health.URL))
		}
		return nil
	}
	deep, deepLocal, _ := healthcheck.LocalPort(s.health.DeepURL)
	m.probesHere = [2]bool{cheapLocal && cheap == m.port, s.health.DeepURL != "" && deepLocal && deep == m.port}
	return m
}

// acceptPort is the port the watch follows: --listen-port, else the
// health URL's when it is on this machine; 0 when there is none.
func acceptPort(s settings) int {
	if s.accept.port != 0 {
		return s.accept.port
	}
	if port, local, _ := healthcheck.LocalPort(s.health.URL); local {
		return port
	}
	return 0
}

// Last is the last sample of the current (or last) child's accept queue:
// its length, backlog (0: unknown) and address; false before the first.
func (m *acceptMonitor) Last() (acceptq.Sample, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.last, m.st.have
}

// Waiting is how long connections have waited in the current (or last)
// child's queue with no sign of life (no drain, no shrink, no answered
// probe) as of the last sample, with the queue's length, backlog and
// address: the evidence of a stuck queue for bundles, whatever the
// restart's reason. false when nothing waits (or nothing was sampled).
func (m *acceptMonitor) Waiting() (acceptq.Stall, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.st.have {
		return acceptq.Stall{}, false
	}
	return m.st.window.Waited(m.st.answered)
}

// probe takes one finished probe (healthcheck.ProbeEvent, on the health
// watcher's goroutine): any HTTP answer means the child accepted that
// connection.
func (m *acceptMonitor) probe(e healthcheck.ProbeEvent) {
	if e.Outcome.Status == 0 {
		return
	}
	at := e.Outcome.At.Add(e.Outcome.Duration)
	here := m.probesHere[0]
	if e.Kind == healthcheck.Deep {
		here = m.probesHere[1]
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st.running = true
	if here {
		if at.After(m.st.answered) {
			m.st.answered = at
		}
		m.st.demand.Accepted(at)
	}
}

// demand is the health monitor's healthcheck.DemandFunc.
func (m *acceptMonitor) demand(pid int, since time.Time) healthcheck.Demand {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st.pid != pid || !m.st.watching {
		return healthcheck.Demand{}
	}
	first, seen := m.st.demand.Since(since)
	return healthcheck.Demand{Known: true, Since: since, Seen: seen, First: first}
}

// Watch follows the child with pid until ctx is done or its queue is
// stuck (reported once, then it returns).
func (m *acceptMonitor) Watch(ctx context.Context, pid int, report func(supervise.Report)) {
	m.mu.Lock()
	m.st = acceptState{pid: pid, running: !m.probing}
	m.mu.Unlock()
	w := &acceptWatch{m: m, pid: pid, log: m.log.With(zap.Int("pid", pid), zap.Int("port", m.port))}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		next, stall := w.turn(ctx)
		if stall != nil {
			detail := stall.Sentence()
			w.log.Warn("accept queue stalled", zap.String("reason", acceptq.Reason), zap.String("detail", detail),
				zap.String("addr", stall.Addr), zap.Int("queue", stall.Queue), zap.Int("backlog", stall.Backlog),
				zap.Duration("for", stall.For))
			report(supervise.Report{Verdict: supervise.VerdictDegraded, Reason: acceptq.Reason, Detail: detail})
			return
		}
		timer.Reset(next)
	}
}

// acceptWatch is one Watch's own state, on its goroutine only.
type acceptWatch struct {
	m        *acceptMonitor
	pid      int
	log      *zap.Logger
	l        acceptq.Listener
	found    bool
	misses   int
	window   acceptq.Window
	sampleOK bool // the last sample succeeded: a failure is logged once
}

// turn finds the socket or samples it; it returns the wait before the next
// turn, and the stall when the rule says so.
func (w *acceptWatch) turn(ctx context.Context) (time.Duration, *acceptq.Stall) {
	if !w.found {
		return w.find(ctx), nil
	}
	s, err := w.l.Sample(ctx)
	if err != nil {
		w.lose(ctx, err)
		return acceptq.SlowInterval, nil
	}
	w.sampleOK = true
	w.window = w.window.Next(s)
	answered, running := w.m.sampled(s, w.window)
	if st, ok := w.window.Stalled(answered, w.m.limit); ok && running {
		return 0, &st
	}
	next := acceptq.Interval(s)
	if next == acceptq.SlowInterval {
		next = tick.Next(s.At, next) // on the second, with hsup's other loops
	}
	// Sample again when a stall would be due (already past: the rule holds
	// but waits for the child's first answer, at the cadence).
	if due, ok := w.window.Due(answered, w.m.limit); ok && due.After(s.At) {
		next = min(next, due.Sub(s.At))
	}
	return next, nil
}

func (w *acceptWatch) find(ctx context.Context) time.Duration {
	l, err := acceptq.Find(ctx, w.pid, w.m.port)
	if err != nil {
		w.misses++
		if w.misses == 6 { // about 30 s of looking: say so once
			w.log.Info("no listening socket of the child on the port yet; the accept-queue watch keeps looking",
				zap.Duration("every", acceptFindMax), zap.Error(err))
		}
		return findDelay(w.misses)
	}
	w.l, w.found, w.misses, w.window = l, true, 0, acceptq.Window{}
	w.m.mu.Lock()
	w.m.st.watching = true
	w.m.mu.Unlock()
	w.log.Info("watching the accept queue", zap.Int("holder", l.Pid))
	return 0
}

// lose forgets a socket that went away (or cannot be read): the next turn
// looks for it again.
func (w *acceptWatch) lose(ctx context.Context, err error) {
	w.found, w.window = false, acceptq.Window{}
	w.m.mu.Lock()
	w.m.st.watching, w.m.st.have, w.m.st.window = false, false, acceptq.Window{}
	w.m.mu.Unlock()
	switch {
	case ctx.Err() != nil:
	case errors.Is(err, acceptq.ErrGone):
		w.log.Info("the listening socket is gone; looking for it again", zap.Error(err))
	case w.sampleOK:
		w.log.Warn("cannot read the accept queue; looking for the socket again", zap.Error(err))
	}
	w.sampleOK = false
}

// sampled records s and the window after it, and returns what the rule
// needs from the probes.
func (m *acceptMonitor) sampled(s acceptq.Sample, w acceptq.Window) (answered time.Time, running bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st.last, m.st.have, m.st.window = s, true, w
	m.st.demand.Sampled(s)
	return m.st.answered, m.st.running
}
