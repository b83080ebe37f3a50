package supervise

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"
)

// wait bounds every blocking receive in these tests.
const wait = 5 * time.Second

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// fakeClock fires timers only when the test advances it; armed reports
// every new timer's duration so the test knows when to advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	armed  chan time.Duration
}

type fakeTimer struct {
	at      time.Time
	c       chan time.Time
	stopped bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1_800_000_000, 0), armed: make(chan time.Duration, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	c.armed <- d
	return t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			t.c <- c.now
		}
	}
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }
func (t *fakeTimer) Stop() bool {
	was := !t.stopped
	t.stopped = true
	return was
}

// fakeProc records the signals it gets and dies of SIGTERM (unless told to
// ignore it) and SIGKILL like a real process; the test can also end it with exit.
type fakeProc struct {
	pid        int
	ignoreTerm bool
	signals    chan sentSignal
	done       chan int
	once       sync.Once
}

type sentSignal struct {
	sig   syscall.Signal
	group bool
}

func (p *fakeProc) Pid() int         { return p.pid }
func (p *fakeProc) Done() <-chan int { return p.done }
func (p *fakeProc) Signal(sig syscall.Signal, group bool) error {
	p.signals <- sentSignal{sig, group}
	switch {
	case sig == syscall.SIGKILL, sig == syscall.SIGTERM && !p.ignoreTerm:
		p.exit(128 + int(sig))
	}
	return nil
}
func (p *fakeProc) exit(code int) { p.once.Do(func() { p.done <- code }) }

// fakeStarter hands out fakeProcs and tells the test about each start.
type fakeStarter struct {
	ignoreTerm bool
	mu         sync.Mutex
	nextPid    int
	started    chan *fakeProc
}

func newFakeStarter() *fakeStarter {
	return &fakeStarter{nextPid: 100, started: make(chan *fakeProc, 10)}
}

func (f *fakeStarter) start(Spec) (process, error) {
	f.mu.Lock()
	f.nextPid++
	p := &fakeProc{pid: f.nextPid, ignoreTerm: f.ignoreTerm, signals: make(chan sentSignal, 10), done: make(chan int, 1)}
	f.mu.Unlock()
	f.started <- p
	return p, nil
}

// fakeHealth lets the test deliver verdicts for a pid.
type fakeHealth struct {
	mu      sync.Mutex
	reports map[int]func(bool, string)
	watched chan int
}

func newFakeHealth() *fakeHealth {
	return &fakeHealth{reports: map[int]func(bool, string){}, watched: make(chan int, 10)}
}

func (h *fakeHealth) Watch(ctx context.Context, pid int, report func(bool, string)) {
	h.mu.Lock()
	h.reports[pid] = report
	h.mu.Unlock()
	h.watched <- pid
	<-ctx.Done()
}

func (h *fakeHealth) Answering(context.Context) (bool, string) { return false, "" }

func (h *fakeHealth) report(pid int, healthy bool, reason string) {
	h.mu.Lock()
	r := h.reports[pid]
	h.mu.Unlock()
	r(healthy, reason)
}

// fakeCapture records captures and finishes each when told.
type fakeCapture struct {
	calls   chan string
	release chan struct{}
}

func (c *fakeCapture) Capture(ctx context.Context, pid int, reason string, _ time.Time) (string, error) {
	c.calls <- reason
	select {
	case <-c.release:
	case <-ctx.Done():
	}
	return "", nil
}
