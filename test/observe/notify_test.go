package observe

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// datagram is one sd_notify message and when the test received it.
type datagram struct {
	at   time.Time
	text string
}

// notifySocket is a unixgram socket standing in for the service manager.
type notifySocket struct {
	mu   sync.Mutex
	msgs []datagram
}

// listenNotify binds dir/n.sock and reads it until the test ends.
func listenNotify(t *testing.T) (*notifySocket, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "n.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen %s: %v", path, err)
	}
	s := &notifySocket{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, datagram{time.Now(), string(buf[:n])})
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return s, path
}

func (s *notifySocket) all() []datagram {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]datagram(nil), s.msgs...)
}

// TestSdNotify: READY=1 only after the first ok probe, STATUS= lines,
// WATCHDOG=1 at about half of WATCHDOG_USEC, STOPPING=1 on SIGTERM.
func TestSdNotify(t *testing.T) {
	t.Parallel()
	sock, path := listenNotify(t)
	port := hsuptest.FreePort(t)
	app := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"run", "--log-format=json", "--metrics-addr=", "--diag-dir=" + filepath.Join(t.TempDir(), "diag"),
		"--health-url=http://" + app + "/health", "--health-interval=200ms", "--health-timeout=500ms",
		"--startup-grace=20s", "--stop-grace=2s",
		"--", hsuptest.Binary(t), "demo-app", "--addr", app, "--state-dir", t.TempDir(), "--start-delay", "1s"}
	p := hsuptest.Start(t, args, "NOTIFY_SOCKET="+path, "WATCHDOG_USEC=200000", "WATCHDOG_PID=")
	running, ri := p.WaitLine(t, 0, startWait, "child running", hsuptest.State("running"))
	// Watch one second of pings while the child runs, then stop hsup.
	window := waitDatagrams(t, sock, func(ms []datagram) bool {
		r := readyAt(ms)
		return r >= 0 && time.Since(ms[r].at) > time.Second
	})
	p.Signal(t, syscall.SIGTERM)
	p.Wait(t, 20*time.Second)
	if n := count(p.Lines(), ri+1, hsuptest.State("starting")); n != 0 {
		t.Fatalf("the child restarted during the test (%d starts); timings below are void", n)
	}
	msgs := sock.all()
	r := readyAt(window)
	// READY=1 is sent after the first ok probe: not before "child running"
	// (log time stamps have millisecond precision).
	if ms := msgs[r].at.Sub(ts(t, running)); ms < -2*time.Millisecond {
		t.Errorf("READY=1 received %v before the \"child running\" line", -ms)
	}
	if n := countPrefix(msgs, "READY=1"); n != 1 {
		t.Errorf("READY=1 sent %d times, want once", n)
	}
	if !hasText(msgs[:r], "STATUS=child starting") {
		t.Errorf("no STATUS=child starting before READY=1: %v", texts(msgs[:r]))
	}
	if !hasText(msgs, "STATUS=child running") {
		t.Errorf("no STATUS=child running: %v", texts(msgs))
	}
	// WATCHDOG_USEC=200ms: a ping about every 100ms over the second after READY.
	var pings int
	for _, m := range msgs {
		if m.text == "WATCHDOG=1" && m.at.After(msgs[r].at) && !m.at.After(msgs[r].at.Add(time.Second)) {
			pings++
		}
	}
	if pings < 5 || pings > 15 {
		t.Errorf("%d WATCHDOG=1 pings in the second after READY, want about 10", pings)
	}
	if countPrefix(msgs, "STOPPING=1") != 1 {
		t.Errorf("want one STOPPING=1 after SIGTERM; got %v", texts(msgs[r:]))
	}
}

// waitDatagrams waits, up to startWait, until done holds for what arrived.
func waitDatagrams(t *testing.T, s *notifySocket, done func([]datagram) bool) []datagram {
	t.Helper()
	deadline := time.NewTimer(startWait)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if ms := s.all(); done(ms) {
			return ms
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("sd_notify messages never reached the wanted point: %v", texts(s.all()))
		}
	}
}

func readyAt(ms []datagram) int {
	for i, m := range ms {
		if m.text == "READY=1" {
			return i
		}
	}
	return -1
}

func countPrefix(ms []datagram, prefix string) int {
	n := 0
	for _, m := range ms {
		if strings.HasPrefix(m.text, prefix) {
			n++
		}
	}
	return n
}

func hasText(ms []datagram, prefix string) bool { return countPrefix(ms, prefix) > 0 }

func texts(ms []datagram) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.text
	}
	return out
}

// TestSdNotifyNotInherited: hsup is the service manager's main process;
// its child must not inherit NOTIFY_SOCKET or the watchdog settings, or a
// systemd-aware child would speak for hsup.
func TestSdNotifyNotInherited(t *testing.T) {
	t.Parallel()
	_, path := listenNotify(t)
	envFile := filepath.Join(t.TempDir(), "env")
	p := hsuptest.Start(t, []string{"run", "--log-format=json", "--metrics-addr=", "--health-url=",
		"--diag-dir=" + filepath.Join(t.TempDir(), "diag"), "--", os.Args[0], envFile},
		reexec.Env(t, "env"), "NOTIFY_SOCKET="+path, "WATCHDOG_USEC=200000")
	p.WaitLine(t, 0, startWait, "child running", hsuptest.State("running"))
	deadline := time.NewTimer(startWait)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(envFile); err == nil {
			for _, kv := range strings.Split(string(b), "\n") {
				for _, name := range []string{"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID="} {
					if strings.HasPrefix(kv, name) {
						t.Errorf("child inherited %s", kv)
					}
				}
			}
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("the child never wrote its environment to %s", envFile)
		}
	}
}
