package systemd

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// notifySocket creates a real unixgram socket standing in for systemd's,
// points NOTIFY_SOCKET at it and clears the watchdog variables.
func notifySocket(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	if len(path) > 100 { // sun_path is 104 bytes on macOS, 108 on Linux
		dir, err := os.MkdirTemp("/tmp", "hsup")
		if err != nil {
			t.Fatalf("short temp dir: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		path = filepath.Join(dir, "notify.sock")
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen unixgram %s: %v", path, err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "")
	t.Setenv("WATCHDOG_PID", "")
	return conn
}

// readNotify reads one datagram, waiting at most d.
func readNotify(conn *net.UnixConn, d time.Duration) (string, error) {
	if err := conn.SetReadDeadline(time.Now().Add(d)); err != nil {
		return "", err
	}
	buf := make([]byte, 4096)
	n, _, err := conn.ReadFromUnix(buf)
	return string(buf[:n]), err
}

// expectNoNotify asserts that nothing arrives within d.
func expectNoNotify(t *testing.T, conn *net.UnixConn, d time.Duration) {
	t.Helper()
	msg, err := readNotify(conn, d)
	var nerr net.Error
	if !errors.As(err, &nerr) || !nerr.Timeout() {
		t.Errorf("unexpected datagram %q (err %v), want none", msg, err)
	}
}

// run starts n.Run with alive and stops and waits for it at cleanup.
func run(t *testing.T, n *Notifier, alive func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx, alive) }()
	t.Cleanup(func() {
		cancel()
		timer := time.NewTimer(5 * time.Second)
		defer timer.Stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}
		case <-timer.C:
			t.Error("Run did not return within 5s of cancel")
		}
	})
}

func alwaysAlive(context.Context) error { return nil }

func TestNotifyMessages(t *testing.T) {
	tests := []struct {
		name  string
		calls func(n *Notifier)
		want  []string
	}{
		{name: "ready", calls: func(n *Notifier) { n.Ready() }, want: []string{"READY=1"}},
		{
			name:  "ready is sent once",
			calls: func(n *Notifier) { n.Ready(); n.Ready(); n.Status("running") },
			want:  []string{"READY=1", "STATUS=running"},
		},
		{
			name:  "status",
			calls: func(n *Notifier) { n.Status("running pid 42, 0 restarts") },
			want:  []string{"STATUS=running pid 42, 0 restarts"},
		},
		{
			name:  "status folds line breaks",
			calls: func(n *Notifier) { n.Status("backoff 2s\nlast: health\r\n") },
			want:  []string{"STATUS=backoff 2s last: health "},
		},
		{name: "stopping once", calls: func(n *Notifier) { n.Stopping(); n.Stopping() }, want: []string{"STOPPING=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := notifySocket(t)
			n := NewNotifier(zaptest.NewLogger(t))
			if !n.Enabled() {
				t.Fatal("Enabled() = false with NOTIFY_SOCKET set")
			}
			tt.calls(n) // queued before Run: nothing waits on the socket
			run(t, n, alwaysAlive)
			for _, want := range tt.want {
				got, err := readNotify(conn, 5*time.Second)
				if err != nil {
					t.Fatalf("read %q: %v", want, err)
				}
				if got != want {
					t.Errorf("datagram = %q, want %q", got, want)
				}
			}
			expectNoNotify(t, conn, 50*time.Millisecond)
		})
	}
}

// TestNotifyFlushedAtStop: what is queued when Run ends still goes out.
func TestNotifyFlushedAtStop(t *testing.T) {
	conn := notifySocket(t)
	n := NewNotifier(zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n.Status("stopping")
	n.Stopping()
	if err := n.Run(ctx, alwaysAlive); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"STATUS=stopping", "STOPPING=1"} {
		if got, err := readNotify(conn, 5*time.Second); err != nil || got != want {
			t.Fatalf("datagram = %q, %v; want %q", got, err, want)
		}
	}
}

// TestNotifyEnvReadOnce shows the socket is captured at construction, so the
// integrator may strip NOTIFY_SOCKET before starting the child.
func TestNotifyEnvReadOnce(t *testing.T) {
	conn := notifySocket(t)
	n := NewNotifier(zaptest.NewLogger(t))
	t.Setenv("NOTIFY_SOCKET", "")
	run(t, n, alwaysAlive)
	n.Status("still here")
	if got, err := readNotify(conn, 5*time.Second); err != nil || got != "STATUS=still here" {
		t.Errorf("datagram = %q, %v; want STATUS=still here", got, err)
	}
}

// TestNotifySocketGone: a failed READY leaves one log line naming
// NOTIFY_SOCKET; more failures of that kind are not logged again.
func TestNotifySocketGone(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "missing.sock"))
	t.Setenv("WATCHDOG_USEC", "")
	core, logs := observer.New(zap.WarnLevel)
	n := NewNotifier(zap.New(core))
	n.Ready()
	n.Status("a")
	n.Status("b")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Run(ctx, alwaysAlive); err != nil {
		t.Fatal(err)
	}
	lines := logs.FilterMessageSnippet("sd_notify failed").All()
	if len(lines) != 2 {
		t.Fatalf("%d failure lines, want one for READY and one for STATUS: %v", len(lines), lines)
	}
	if err, _ := lines[0].ContextMap()["error"].(string); lines[0].ContextMap()["kind"] != "READY" || !containsAll(err, "NOTIFY_SOCKET") {
		t.Errorf("first failure line %v, want kind READY and an error naming NOTIFY_SOCKET", lines[0].ContextMap())
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestNotifyNeverBlocks: with nobody sending, the queue fills and further
// messages are dropped and counted, never waited for.
func TestNotifyNeverBlocks(t *testing.T) {
	notifySocket(t)
	n := NewNotifier(zaptest.NewLogger(t))
	for range notifyQueue + 5 {
		n.Status("x")
	}
	if d := n.Dropped(); d != 5 {
		t.Fatalf("Dropped() = %d, want 5", d)
	}
}

func TestNotifyDisabled(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "200000")
	t.Setenv("WATCHDOG_PID", "")
	n := NewNotifier(zaptest.NewLogger(t))
	if n.Enabled() {
		t.Error("Enabled() = true without NOTIFY_SOCKET")
	}
	n.Ready()
	n.Status("x")
	n.Stopping()
	if d := n.WatchdogInterval(); d != 0 {
		t.Errorf("WatchdogInterval() = %v without NOTIFY_SOCKET, want 0", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	if err := n.Run(ctx, func(context.Context) error { called = true; return nil }); err != nil || called || len(n.queue) != 0 {
		t.Errorf("Run = %v, alive called %v, %d queued; want nil, false, 0", err, called, len(n.queue))
	}
}

func TestNotifyWatchdogInterval(t *testing.T) {
	tests := []struct {
		name string
		usec string
		pid  string
		want time.Duration
	}{
		{name: "off", usec: "", want: 0},
		{name: "half of usec", usec: "200000", want: 100 * time.Millisecond},
		{name: "for this pid", usec: "30000000", pid: strconv.Itoa(os.Getpid()), want: 15 * time.Second},
		{name: "for another pid", usec: "30000000", pid: strconv.Itoa(os.Getpid() + 1), want: 0},
		{name: "malformed", usec: "soon", want: 0},
		{name: "negative", usec: "-5", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			notifySocket(t)
			t.Setenv("WATCHDOG_USEC", tt.usec)
			t.Setenv("WATCHDOG_PID", tt.pid)
			if got := NewNotifier(zaptest.NewLogger(t)).WatchdogInterval(); got != tt.want {
				t.Errorf("WatchdogInterval() = %v, want %v", got, tt.want)
			}
		})
	}
}

// watchdogNotifier is a Notifier with a 100 ms watchdog whose datagrams go
// to a channel, for tests on virtual time.
func watchdogNotifier(t *testing.T) (*Notifier, chan string) {
	t.Helper()
	notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "200000")
	n := NewNotifier(zaptest.NewLogger(t))
	sent := make(chan string, 100)
	n.send = func(state string) error { sent <- state; return nil }
	return n, sent
}

func TestNotifyWatchdogPings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, sent := watchdogNotifier(t)
		run(t, n, func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				return errors.New("alive called without a deadline")
			}
			return nil
		})
		time.Sleep(time.Second + time.Millisecond)
		if got := len(sent); got != 10 {
			t.Fatalf("%d pings in 1s at a 100ms interval, want exactly 10 on virtual time", got)
		}
		for range 10 {
			if msg := <-sent; msg != "WATCHDOG=1" {
				t.Fatalf("datagram = %q, want WATCHDOG=1", msg)
			}
		}
	})
}

func TestNotifyWatchdogSkipsWhenNotAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, sent := watchdogNotifier(t)
		const failing = 3
		var calls atomic.Int32
		run(t, n, func(ctx context.Context) error {
			if calls.Add(1) <= failing {
				return errors.New("supervisor loop did not answer")
			}
			return nil
		})
		time.Sleep(failing*100*time.Millisecond + time.Millisecond)
		synctest.Wait()
		if calls.Load() != failing || len(sent) != 0 {
			t.Fatalf("after %d failing checks: %d calls, %d pings; want no ping", failing, calls.Load(), len(sent))
		}
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		if calls.Load() != failing+1 || len(sent) != 1 {
			t.Fatalf("after a passing check: %d calls, %d pings; want one ping", calls.Load(), len(sent))
		}
	})
}

// TestNotifyWatchdogSlowAliveSkips: alive that answers only after half an
// interval counts as not alive.
func TestNotifyWatchdogSlowAliveSkips(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, sent := watchdogNotifier(t)
		run(t, n, func(ctx context.Context) error {
			<-ctx.Done() // a loop that does not answer within its bound
			return ctx.Err()
		})
		time.Sleep(time.Second)
		synctest.Wait()
		if len(sent) != 0 {
			t.Fatalf("%d pings while alive never answered in time, want 0", len(sent))
		}
	})
}
