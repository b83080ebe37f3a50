package demoapp

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// listener wraps the TCP listener so the app controls accept: it counts
// accepted connections (the heartbeat), can stop calling Accept altogether
// (noaccept), can hold or reset connections instead of serving them, and
// can spin on a failing accept (emfile).
type listener struct {
	inner    *net.TCPListener
	onAccept func(now time.Time) acceptAction
	now      func() time.Time
	// before is called before every accept (emfile counts there); swallow
	// says whether an accept error is ignored and accept retried at once.
	// Both may be nil.
	before  func(now time.Time)
	swallow func(err error) bool

	stopOnce sync.Once
	stopped  chan struct{} // closed by stopAccepting: Accept blocks for good
	doneOnce sync.Once
	done     chan struct{} // closed by Close
	closeErr error

	mu   sync.Mutex
	held map[net.Conn]struct{} // hung connections, closed by Close
}

func newListener(inner *net.TCPListener, onAccept func(time.Time) acceptAction) *listener {
	return &listener{
		inner:    inner,
		onAccept: onAccept,
		now:      time.Now,
		stopped:  make(chan struct{}),
		done:     make(chan struct{}),
		held:     map[net.Conn]struct{}{},
	}
}

// Accept returns the next connection to serve. Held and reset connections
// are dealt with here and never reach the HTTP server.
func (l *listener) Accept() (net.Conn, error) {
	for {
		if err := l.waitAccepting(); err != nil {
			return nil, err
		}
		if l.before != nil {
			l.before(l.now())
		}
		c, err := l.inner.Accept()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue // stopAccepting woke us; waitAccepting now blocks
			}
			if l.swallow != nil && l.swallow(err) {
				continue // emfile: socketserver's spin, no pause
			}
			return nil, err
		}
		if l.isStopped() {
			// Accepted in the instant between the switch and the wake-up:
			// treat it as if it were still in the backlog.
			l.hold(c)
			continue
		}
		switch l.onAccept(l.now()) {
		case acceptHold:
			l.hold(c)
		case acceptReset:
			resetConn(c)
		default:
			return c, nil
		}
	}
}

// waitAccepting returns nil while accepting is allowed; once stopAccepting
// was called it blocks until Close and then returns net.ErrClosed.
func (l *listener) waitAccepting() error {
	select {
	case <-l.done:
		return net.ErrClosed
	default:
	}
	if !l.isStopped() {
		return nil
	}
	<-l.done
	return net.ErrClosed
}

func (l *listener) isStopped() bool {
	select {
	case <-l.stopped:
		return true
	default:
		return false
	}
}

// stopAccepting makes Accept never call the kernel's accept again. The
// socket keeps listening, so connects still complete through the backlog.
// A deadline in the past wakes an Accept that is already blocked.
func (l *listener) stopAccepting() {
	l.stopOnce.Do(func() {
		close(l.stopped)
		_ = l.inner.SetDeadline(time.Unix(1, 0)) // error only if closed: then nothing to wake
	})
}

// hold keeps c open without reading it, until Close.
func (l *listener) hold(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		_ = c.Close()
	default:
		l.held[c] = struct{}{}
	}
}

// resetConn closes c so the peer sees a connection reset, not a clean EOF.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // best effort: a plain close still fails the probe
	}
	_ = c.Close()
}

// Close stops listening, unblocks Accept and closes held connections. It is
// safe to call more than once (http.Server calls it too).
func (l *listener) Close() error {
	l.doneOnce.Do(func() {
		l.mu.Lock()
		close(l.done)
		for c := range l.held {
			_ = c.Close()
		}
		l.held = map[net.Conn]struct{}{}
		l.mu.Unlock()
		l.closeErr = l.inner.Close()
	})
	return l.closeErr
}

// Addr is the listening address.
func (l *listener) Addr() net.Addr { return l.inner.Addr() }

var _ net.Listener = (*listener)(nil)
