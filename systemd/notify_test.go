package systemd

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
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

func TestNotifyMessages(t *testing.T) {
	tests := []struct {
		name  string
		calls func(n *Notifier) error
		want  []string
	}{
		{name: "ready", calls: func(n *Notifier) error { return n.Ready() }, want: []string{"READY=1"}},
		{
			name: "ready is sent once",
			calls: func(n *Notifier) error {
				return errors.Join(n.Ready(), n.Ready(), n.Status("running"))
			},
			want: []string{"READY=1", "STATUS=running"},
		},
		{
			name:  "status",
			calls: func(n *Notifier) error { return n.Status("running pid 42, 0 restarts") },
			want:  []string{"STATUS=running pid 42, 0 restarts"},
		},
		{
			name:  "status folds line breaks",
			calls: func(n *Notifier) error { return n.Status("backoff 2s\nlast: health\r\n") },
			want:  []string{"STATUS=backoff 2s last: health "},
		},
		{name: "stopping", calls: func(n *Notifier) error { return n.Stopping() }, want: []string{"STOPPING=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := notifySocket(t)
			n := NewNotifier(zaptest.NewLogger(t))
			if !n.Enabled() {
				t.Fatal("Enabled() = false with NOTIFY_SOCKET set")
			}
			if err := tt.calls(n); err != nil {
				t.Fatalf("notify: %v", err)
			}
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

// TestNotifyEnvReadOnce shows the socket is captured at construction, so the
// integrator may strip NOTIFY_SOCKET before starting the child.
func TestNotifyEnvReadOnce(t *testing.T) {
	conn := notifySocket(t)
	n := NewNotifier(zaptest.NewLogger(t))
	t.Setenv("NOTIFY_SOCKET", "")
	if err := n.Status("still here"); err != nil {
		t.Fatalf("status: %v", err)
	}
	if got, err := readNotify(conn, 5*time.Second); err != nil || got != "STATUS=still here" {
		t.Errorf("datagram = %q, %v; want STATUS=still here", got, err)
	}
}

func TestNotifySocketGone(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "missing.sock"))
	n := NewNotifier(zaptest.NewLogger(t))
	err := n.Ready()
	if err == nil || !strings.Contains(err.Error(), "NOTIFY_SOCKET") {
		t.Errorf("Ready on a missing socket = %v, want an error naming NOTIFY_SOCKET", err)
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
	if err := errors.Join(n.Ready(), n.Status("x"), n.Stopping()); err != nil {
		t.Errorf("no-op notifier returned %v", err)
	}
	if d := n.WatchdogInterval(); d != 0 {
		t.Errorf("WatchdogInterval() = %v without NOTIFY_SOCKET, want 0", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	done := make(chan error, 1)
	go func() {
		done <- n.RunWatchdog(ctx, func(context.Context) error { called = true; return nil })
	}()
	select {
	case err := <-done:
		if err != nil || called {
			t.Errorf("RunWatchdog = %v, alive called %v; want nil, false", err, called)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunWatchdog did not return after cancel")
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

// runWatchdog starts RunWatchdog and stops and waits for it at cleanup.
func runWatchdog(t *testing.T, n *Notifier, alive func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.RunWatchdog(ctx, alive) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("RunWatchdog returned %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("RunWatchdog did not return within 5s of cancel")
		}
	})
}

func TestNotifyWatchdogPings(t *testing.T) {
	conn := notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "200000")
	n := NewNotifier(zaptest.NewLogger(t))
	runWatchdog(t, n, func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("alive called without a deadline")
		}
		return nil
	})

	// Count pings in a one-second window; at 100 ms the ideal is 10. The
	// bounds are generous for a loaded 2-core machine.
	const window = time.Second
	end := time.Now().Add(window)
	pings := 0
	for {
		left := time.Until(end)
		if left <= 0 {
			break
		}
		msg, err := readNotify(conn, left)
		var nerr net.Error
		if errors.As(err, &nerr) && nerr.Timeout() {
			break
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if msg != "WATCHDOG=1" {
			t.Fatalf("datagram = %q, want WATCHDOG=1", msg)
		}
		pings++
	}
	t.Logf("%d pings in %v", pings, window)
	if pings < 4 || pings > 11 {
		t.Errorf("%d WATCHDOG=1 pings in %v at a 100ms interval, want 4..11", pings, window)
	}
}

func TestNotifyWatchdogSkipsWhenNotAlive(t *testing.T) {
	conn := notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "200000")
	n := NewNotifier(zaptest.NewLogger(t))
	const failing = 3
	calls := make(chan int, 100)
	count := 0 // only touched by the watchdog goroutine
	runWatchdog(t, n, func(ctx context.Context) error {
		count++
		calls <- count
		if count <= failing {
			return errors.New("supervisor loop did not answer")
		}
		return nil
	})

	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	for i := 1; i <= failing; i++ {
		select {
		case <-calls:
		case <-deadline.C:
			t.Fatalf("alive called %d times within 5s, want %d", i-1, failing)
		}
	}
	// The failing checks sent nothing; only a later, passing one pings.
	msg, err := readNotify(conn, 5*time.Second)
	if err != nil || msg != "WATCHDOG=1" {
		t.Fatalf("datagram = %q, %v; want WATCHDOG=1 once alive passes", msg, err)
	}
	select {
	case c := <-calls:
		if c != failing+1 {
			t.Errorf("first ping after alive call %d, want call %d", c, failing+1)
		}
	default:
		t.Error("a ping arrived without a passing alive call")
	}
}
