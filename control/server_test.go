package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// fakeService answers as the test says.
type fakeService struct {
	restartErr error
	captureDir string
	captureErr error
	inCapture  chan struct{} // closed when Capture is entered, if set
	block      bool          // Capture waits for its context
}

func (f *fakeService) Status() Status {
	return Status{Schema: Schema, Name: "web", State: "running", Child: &Child{Pid: 42}, FDs: &FDs{Open: 12, Limit: 1024}}
}

func (f *fakeService) Restart(context.Context) error { return f.restartErr }

func (f *fakeService) Capture(ctx context.Context) (string, error) {
	if f.inCapture != nil {
		close(f.inCapture)
	}
	if f.block {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return f.captureDir, f.captureErr
}

// serve runs a Server for svc at a socket in a new directory until the
// test ends, and returns its client.
func serve(t *testing.T, svc Service, cfg Config) (*Client, string, func()) {
	t.Helper()
	path := filepath.Join(t.TempDir(), SocketName)
	cfg.Service, cfg.Log = svc, zaptest.NewLogger(t)
	if cfg.FDs == nil {
		cfg.FDs = func() (int, bool) { return 12, true }
	}
	s, err := Listen(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { wait(t, cancel, done) }) }
	t.Cleanup(stop)
	return NewClient(path), path, stop
}

// wait ends a Serve and checks that it returns, within a bound, with nil.
func wait(t *testing.T, cancel func(), done chan error) {
	t.Helper()
	cancel()
	timer := time.NewTimer(shutdownGrace + 3*time.Second)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-timer.C:
		t.Fatal("Serve did not return after its context ended")
	}
}

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStatusRestartCapture(t *testing.T) {
	c, _, _ := serve(t, &fakeService{captureDir: "/bundles/1"}, Config{})
	st, err := c.Status(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "web" || st.Child.Pid != 42 || st.FDs.Open != 12 || len(st.FDs.Trend) != 1 {
		t.Errorf("status %+v (fds %+v)", st, st.FDs)
	}
	msg, err := c.Restart(bounded(t))
	if err != nil || msg == "" {
		t.Errorf("Restart: %q %v", msg, err)
	}
	dir, err := c.Capture(bounded(t))
	if err != nil || dir != "/bundles/1" {
		t.Errorf("Capture: %q %v", dir, err)
	}
}

func TestRefusals(t *testing.T) {
	busy := fmt.Errorf("%w: a capture or restart is already under way", ErrRefused)
	c, _, _ := serve(t, &fakeService{restartErr: busy, captureErr: busy}, Config{})
	_, err := c.Restart(bounded(t))
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "already under way") {
		t.Errorf("Restart refused: %v, want ErrRefused with the reason", err)
	}
	_, err = c.Capture(bounded(t))
	if !errors.Is(err, ErrRefused) {
		t.Errorf("Capture refused: %v, want ErrRefused", err)
	}
}

// TestCaptureBounded: a capture that does not finish within CaptureTimeout
// is a timeout answer, not a hung client.
func TestCaptureBounded(t *testing.T) {
	c, _, _ := serve(t, &fakeService{block: true}, Config{CaptureTimeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := c.Capture(bounded(t))
	if err == nil || errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "in time") {
		t.Errorf("Capture past its bound: %v, want a timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("answer after %v", d)
	}
}

// TestShutdownLetsWaitersGo: Serve returns within its bound while a
// capture is being waited for, and removes the socket.
func TestShutdownLetsWaitersGo(t *testing.T) {
	in := make(chan struct{})
	c, path, stop := serve(t, &fakeService{block: true, inCapture: in}, Config{CaptureTimeout: time.Minute})
	errc := make(chan error, 1)
	go func() {
		_, err := c.Capture(bounded(t))
		errc <- err
	}()
	select {
	case <-in:
	case <-time.After(5 * time.Second):
		t.Fatal("the capture request did not arrive")
	}
	stop()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("a capture cut short by the shutdown reported success")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the client was not let go")
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
	if _, err := c.Status(bounded(t)); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Status after the stop: %v, want ErrNotRunning", err)
	}
}

func TestSocketIsOwnerOnly(t *testing.T) {
	_, path, _ := serve(t, &fakeService{}, Config{})
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket of mode 0600", fi.Mode())
	}
	des, _ := os.ReadDir(filepath.Dir(path))
	if len(des) != 1 {
		t.Errorf("directory holds %d entries, want the socket alone (no temporary directory left)", len(des))
	}
}

// TestStaleSocketReplaced: a socket an hsup that died left behind (nobody
// listens) is replaced; a client of it meanwhile hears "not running".
func TestStaleSocketReplaced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SocketName)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := NewClient(path).Status(bounded(t)); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Status of a stale socket: %v, want ErrNotRunning", err)
	}
	core, logs := observer.New(zap.InfoLevel)
	s, err := Listen(path, Config{Service: &fakeService{}, Log: zap.New(core)})
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	if n := logs.FilterMessageSnippet("replaced the control socket").Len(); n != 1 {
		t.Errorf("%d lines about the replaced socket, want 1", n)
	}
	s.Close()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Close left the socket: %v", err)
	}
}

func TestNotASocketRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), SocketName)
	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Listen(path, Config{Service: &fakeService{}, Log: zaptest.NewLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Listen over a regular file: %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "mine" {
		t.Error("the file was touched")
	}
}

func TestNoSocket(t *testing.T) {
	_, err := NewClient(filepath.Join(t.TempDir(), SocketName)).Status(bounded(t))
	if !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Status without a socket: %v, want ErrNotRunning", err)
	}
}

func TestTooLongPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Listen(filepath.Join(dir, SocketName), Config{Service: &fakeService{}, Log: zaptest.NewLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "shorter --state-dir") {
		t.Fatalf("Listen at a long path: %v, want the advice", err)
	}
}

// TestBounds: other paths and methods are refused, oversized headers are
// refused, and the connection cap holds further clients in the backlog.
func TestBounds(t *testing.T) {
	_, path, _ := serve(t, &fakeService{}, Config{})
	raw := func(req string) string {
		conn, err := net.DialTimeout("unix", path, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte(req)); err != nil {
			return "write: " + err.Error()
		}
		line, _ := bufio.NewReader(conn).ReadString('\n')
		return strings.TrimSpace(line)
	}
	cases := map[string]string{
		"GET /nothing HTTP/1.1\r\nHost: h\r\n\r\n":                                          "HTTP/1.1 404 Not Found",
		"POST /status HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n":                     "HTTP/1.1 405 Method Not Allowed",
		"GET /restart HTTP/1.1\r\nHost: h\r\n\r\n":                                          "HTTP/1.1 405 Method Not Allowed",
		"GET /status HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("a", 16<<10) + "\r\n\r\n": "HTTP/1.1 431 Request Header Fields Too Large",
	}
	for req, want := range cases {
		if got := raw(req); got != want {
			t.Errorf("%.40q: %q, want %q", req, got, want)
		}
	}
	var held []net.Conn
	for range maxConns {
		conn, err := net.DialTimeout("unix", path, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, conn)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := NewClient(path).Status(ctx); err == nil {
		t.Error("a client past the connection cap was served")
	}
	for _, c := range held {
		c.Close()
	}
	if _, err := NewClient(path).Status(bounded(t)); err != nil {
		t.Errorf("Status once the cap is free: %v", err)
	}
}
