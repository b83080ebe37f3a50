package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hsup/hsup/acceptq"
	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/supervise"
)

func TestReadAcceptFlags(t *testing.T) {
	s, err := parse(t)
	if err != nil || s.accept.stall != 2*time.Second || s.accept.port != 0 {
		t.Errorf("defaults: %+v, %v; want --accept-stall=2s --listen-port=0", s.accept, err)
	}
	s, err = parse(t, "--accept-stall=0", "--listen-port=9000")
	if err != nil || s.accept.stall != 0 || s.accept.port != 9000 {
		t.Errorf("set: %+v, %v", s.accept, err)
	}
	for _, bad := range [][]string{{"--accept-stall=-1s"}, {"--listen-port=70000"}, {"--listen-port=-1"}} {
		if _, err := parse(t, bad...); err == nil || !strings.Contains(err.Error(), strings.SplitN(bad[0], "=", 2)[0]) {
			t.Errorf("%v: err %v, want one naming the flag", bad, err)
		}
	}
}

func TestFindDelay(t *testing.T) {
	want := []time.Duration{time.Second, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
		30 * time.Second, 30 * time.Second}
	for misses, w := range want {
		if got := findDelay(misses); got != w {
			t.Errorf("findDelay(%d) = %v, want %v", misses, got, w)
		}
	}
}

func TestNewAcceptMonitor(t *testing.T) {
	log := zaptest.NewLogger(t)
	health := func(url, deep string) healthcheck.Config { return healthcheck.Config{URL: url, DeepURL: deep} }
	cases := []struct {
		name      string
		s         settings
		off       bool
		port      int
		cheap, dp bool
	}{
		{name: "off", s: settings{health: health("http://127.0.0.1:8787/health", "")}, off: true},
		{name: "the health URL's port", s: settings{accept: acceptSettings{stall: time.Second},
			health: health("http://127.0.0.1:8787/health", "http://127.0.0.1:8787/health?deep=1")}, port: 8787, cheap: true, dp: true},
		{name: "--listen-port: the probes go elsewhere", s: settings{accept: acceptSettings{stall: time.Second, port: 9000},
			health: health("http://127.0.0.1:8787/health", "")}, port: 9000},
		{name: "a health URL on another host and no --listen-port", s: settings{accept: acceptSettings{stall: time.Second},
			health: health("http://example.com:8787/health", "")}, off: true},
		{name: "no probing, --listen-port", s: settings{accept: acceptSettings{stall: time.Second, port: 9000}}, port: 9000},
		{name: "no probing, no port", s: settings{accept: acceptSettings{stall: time.Second}}, off: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newAcceptMonitor(c.s, log)
			if c.off {
				if m != nil {
					t.Fatalf("watch on port %d, want off", m.port)
				}
				return
			}
			if m == nil || m.port != c.port || m.probesHere != [2]bool{c.cheap, c.dp} {
				t.Fatalf("monitor %+v, want port %d, probes here %v/%v", m, c.port, c.cheap, c.dp)
			}
		})
	}
}

// watched is an acceptMonitor watching this test process (the "child"),
// which holds a listener that never accepts.
type watched struct {
	m       *acceptMonitor
	ln      net.Listener
	addr    string
	reports chan supervise.Report
	cancel  context.CancelFunc
	done    chan struct{}
}

func watchSelf(t *testing.T, limit time.Duration, answered bool) *watched {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	m := newAcceptMonitor(settings{accept: acceptSettings{stall: limit}, health: healthcheck.Config{URL: "http://" + addr + "/health"}},
		zaptest.NewLogger(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	w := &watched{m: m, ln: ln, addr: addr, reports: make(chan supervise.Report, 1), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		m.Watch(ctx, os.Getpid(), func(r supervise.Report) { w.reports <- r })
	}()
	t.Cleanup(func() { cancel(); <-w.done; ln.Close() })
	waitFor(t, "the watch to find the socket", func() bool { return m.demand(os.Getpid(), time.Now()).Known })
	if answered { // the child answered a probe before anything waited: it is running
		m.probe(healthcheck.ProbeEvent{Kind: healthcheck.Cheap, Outcome: healthcheck.Outcome{Status: 200, At: time.Now()}})
	}
	return w
}

// waitFor polls cond at the watch's fast cadence, bounded.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 15s", what)
		}
		timer := time.NewTimer(acceptq.FastInterval / 2) // polling the watch's state, not synchronization
		<-timer.C
	}
}

// dial opens n connections that wait in the queue; closed at cleanup.
func dial(t *testing.T, addr string, n int) {
	t.Helper()
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
}

func TestAcceptMonitorReportsAStall(t *testing.T) {
	const limit = 500 * time.Millisecond
	w := watchSelf(t, limit, true)
	if s, ok := w.m.Last(); !ok || s.Queue != 0 || s.Addr != w.addr {
		t.Errorf("idle: Last() = %+v, %v", s, ok)
	}
	if st, ok := w.m.Waiting(); ok {
		t.Errorf("idle: Waiting() = %+v, want nothing waiting", st)
	}
	start := time.Now()
	dial(t, w.addr, 3)
	timer := time.NewTimer(limit + 2*acceptq.SlowInterval)
	defer timer.Stop()
	select {
	case r := <-w.reports:
		took := time.Since(start)
		t.Logf("reported after %v: %s", took.Round(time.Millisecond), r.Detail)
		want := fmt.Sprintf("3 connections waited in the accept queue of %s for", w.addr)
		if r.Verdict != supervise.VerdictDegraded || r.Reason != "accept_stall" || !strings.HasPrefix(r.Detail, want) ||
			!strings.HasSuffix(r.Detail, "and no probe was answered") {
			t.Errorf("report %+v, want degraded accept_stall: %q...", r, want)
		}
		if took < limit {
			t.Errorf("reported after %v, before the limit %v", took, limit)
		}
	case <-timer.C:
		t.Fatalf("no report within %v", limit+2*acceptq.SlowInterval)
	}
	if s, ok := w.m.Last(); !ok || s.Queue != 3 || s.Backlog <= 0 {
		t.Errorf("Last() = %+v, %v; want queue 3 and the backlog", s, ok)
	}
	if st, ok := w.m.Waiting(); !ok || st.Queue != 3 || st.For < limit || st.Addr != w.addr {
		t.Errorf("Waiting() = %+v, %v; want 3 waiting for at least %v", st, ok, limit)
	}
	d := w.m.demand(os.Getpid(), start)
	if !d.Known || !d.Seen || d.First.Before(start) {
		t.Errorf("demand %+v: want connections seen after %v", d, start)
	}
}

// quietFor fails if the watch reports within window: a bounded
// observation, not synchronization.
func (w *watched) quietFor(t *testing.T, window time.Duration) {
	t.Helper()
	timer := time.NewTimer(window)
	defer timer.Stop()
	select {
	case r := <-w.reports:
		t.Fatalf("report %+v, want none", r)
	case <-timer.C:
	}
}

// A child that has answered no probe yet is starting: the startup grace
// judges it, not the stall rule.
func TestAcceptMonitorWaitsForTheFirstAnswer(t *testing.T) {
	const limit = 300 * time.Millisecond
	w := watchSelf(t, limit, false)
	dial(t, w.addr, 2)
	w.quietFor(t, limit+2*acceptq.SlowInterval)
	if s, ok := w.m.Last(); !ok || s.Queue != 2 {
		t.Errorf("Last() = %+v, %v; want the 2 waiting", s, ok)
	}
}

// While the rule holds but waits for the child's first answer, the watch
// samples at its cadence: a stall already due must not make it spin.
func TestAcceptWatchDoesNotSpinBeforeTheFirstAnswer(t *testing.T) {
	const limit = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	m := newAcceptMonitor(settings{accept: acceptSettings{stall: limit}, health: healthcheck.Config{URL: "http://" + ln.Addr().String() + "/health"}},
		zaptest.NewLogger(t))
	m.st = acceptState{pid: os.Getpid()} // not running: no probe answered
	w := &acceptWatch{m: m, pid: os.Getpid(), log: zaptest.NewLogger(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if next, st := w.turn(ctx); !w.found || next != 0 || st != nil {
		t.Fatalf("first turn: found %v, next %v, stall %v; want the socket found", w.found, next, st)
	}
	dial(t, ln.Addr().String(), 1)
	start := time.Now()
	for time.Since(start) < limit+time.Second {
		next, st := w.turn(ctx)
		if st != nil {
			t.Fatalf("stall reported before the first answer: %+v", st)
		}
		if _, due := w.window.Stalled(time.Time{}, limit); due && next < acceptq.FastInterval {
			t.Fatalf("the rule holds and the next turn is in %v: the watch would spin", next)
		}
		timer := time.NewTimer(next) // the watch's own cadence
		<-timer.C
	}
}

// A probe answered while connections wait means the child still accepts.
func TestAcceptMonitorAnsweredProbeIsLife(t *testing.T) {
	const limit = 600 * time.Millisecond
	w := watchSelf(t, limit, true)
	dial(t, w.addr, 2)
	waitFor(t, "the queue to be seen", func() bool { s, _ := w.m.Last(); return s.Queue == 2 })
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { // the child answers a probe every 200 ms, as a busy app with a long queue can
		ticker := time.NewTicker(200 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				w.m.probe(healthcheck.ProbeEvent{Kind: healthcheck.Cheap, Outcome: healthcheck.Outcome{Status: 200, At: time.Now()}})
			}
		}
	})
	w.quietFor(t, 3*limit)
}

// A busy child that drains its queue slowly is never blamed: the queue is
// never empty, but it shrinks whenever the child accepts.
func TestAcceptMonitorDrainingQueueIsLife(t *testing.T) {
	const limit = 500 * time.Millisecond
	w := watchSelf(t, limit, true)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { // 8 clients, each dialing again as soon as it is served
		var cg sync.WaitGroup
		for range 8 {
			cg.Go(func() { clientLoop(ctx, w.addr) })
		}
		cg.Wait()
	})
	wg.Go(func() { slowAcceptor(ctx, w.ln, 100*time.Millisecond) })
	waitFor(t, "a waiting queue", func() bool { s, _ := w.m.Last(); return s.Queue > 0 })
	w.quietFor(t, 4*limit)
	s, _ := w.m.Last()
	t.Logf("last sample under load: %+v", s)
}

// clientLoop connects, waits to be served (the server closes), and again.
func clientLoop(ctx context.Context, addr string) {
	for ctx.Err() == nil {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			continue
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, _ = c.Read(make([]byte, 1))
		c.Close()
	}
}

// slowAcceptor accepts one connection every every, closing it at once.
func slowAcceptor(ctx context.Context, ln net.Listener, every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(every))
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}
}
