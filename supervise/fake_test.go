package supervise

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"
)

// wait bounds every blocking receive in these tests: virtual time inside a
// synctest bubble (longer than any grace or bound a test waits out), real
// time outside.
const wait = time.Minute

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
func (p *fakeProc) Pgid() int        { return p.pid }
func (p *fakeProc) Done() <-chan int { return p.done }
func (p *fakeProc) Swept() []Member  { return nil }
func (p *fakeProc) Signal(sig syscall.Signal, group bool) error {
	p.signals <- sentSignal{sig, group}
	switch {
	case sig == syscall.SIGKILL, sig == syscall.SIGTERM && !p.ignoreTerm:
		p.exit(128 + int(sig))
	}
	return nil
}
func (p *fakeProc) exit(code int) { p.once.Do(func() { p.done <- code }) }

// fakeStarter hands out fakeProcs and tells the test about each start. A
// queued error fails the next start instead; a non-nil gate holds every
// start until the test sends on it.
type fakeStarter struct {
	ignoreTerm bool
	mu         sync.Mutex
	nextPid    int
	fail       []error
	gate       chan struct{}
	started    chan *fakeProc
}

func newFakeStarter() *fakeStarter {
	return &fakeStarter{nextPid: 100, started: make(chan *fakeProc, 10)}
}

func (f *fakeStarter) failNext(err error) {
	f.mu.Lock()
	f.fail = append(f.fail, err)
	f.mu.Unlock()
}

func (f *fakeStarter) start(Spec) (process, error) {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	f.mu.Lock()
	if len(f.fail) > 0 {
		err := f.fail[0]
		f.fail = f.fail[1:]
		f.mu.Unlock()
		return nil, err
	}
	f.nextPid++
	p := &fakeProc{pid: f.nextPid, ignoreTerm: f.ignoreTerm, signals: make(chan sentSignal, 10), done: make(chan int, 1)}
	f.mu.Unlock()
	f.started <- p
	return p, nil
}

// fakeHealth lets the test deliver reports about a pid.
type fakeHealth struct {
	mu      sync.Mutex
	reports map[int]func(Report)
	watched chan int
}

func newFakeHealth() *fakeHealth {
	return &fakeHealth{reports: map[int]func(Report){}, watched: make(chan int, 10)}
}

func (h *fakeHealth) Watch(ctx context.Context, pid int, report func(Report)) {
	h.mu.Lock()
	h.reports[pid] = report
	h.mu.Unlock()
	h.watched <- pid
	<-ctx.Done()
}

func (h *fakeHealth) Answering(context.Context) (bool, string) { return false, "" }

func (h *fakeHealth) report(pid int, r Report) {
	h.mu.Lock()
	rep := h.reports[pid]
	h.mu.Unlock()
	rep(r)
}

func (h *fakeHealth) healthy(pid int) { h.report(pid, Report{Verdict: VerdictHealthy}) }
func (h *fakeHealth) degraded(pid int, reason string) {
	h.report(pid, Report{Verdict: VerdictDegraded, Reason: reason, Detail: reason + " failed"})
}

// fakeCapture records captures and finishes each when told; with hang it
// ignores its context, like a collector stuck in a hung mount.
type fakeCapture struct {
	hang    bool
	calls   chan string
	release chan struct{}
}

func newFakeCapture() *fakeCapture {
	return &fakeCapture{calls: make(chan string, 4), release: make(chan struct{})}
}

func (c *fakeCapture) Capture(ctx context.Context, pid int, reason string, _ time.Time) (string, error) {
	c.calls <- reason
	if c.hang {
		<-c.release
		return "", nil
	}
	select {
	case <-c.release:
		return "/bundles/" + reason, nil
	case <-ctx.Done():
		return "/bundles/partial-" + reason, ctx.Err()
	}
}
