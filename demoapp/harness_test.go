package demoapp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitLimit bounds every wait in these tests.
const waitLimit = 5 * time.Second

// readyWriter is a Config.Stdout that passes the listening address on.
type readyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addrs chan string
}

func newReadyWriter() *readyWriter { return &readyWriter{addrs: make(chan string, 1)} }

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if addr, _, ok := parseReady(w.buf.String()); ok {
		select {
		case w.addrs <- addr:
		default:
		}
	}
	return len(p), nil
}

func (w *readyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// parseReady finds "demoapp: listening on ADDR pid N" in out.
func parseReady(out string) (addr string, pid int, ok bool) {
	for _, line := range strings.Split(out, "\n") {
		if n, _ := fmt.Sscanf(line, "demoapp: listening on %s pid %d", &addr, &pid); n == 2 {
			return addr, pid, true
		}
	}
	return "", 0, false
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// testApp is a demo app running in this process on 127.0.0.1:0.
type testApp struct {
	addr   string
	dir    string
	stdout *readyWriter
	cancel context.CancelFunc
	done   chan error

	once     sync.Once
	returned bool
	err      error
}

// startApp runs the app and waits for its readiness line. The app is
// stopped and waited for at cleanup.
func startApp(t *testing.T, cfg Config) *testApp {
	t.Helper()
	a := &testApp{dir: t.TempDir(), stdout: newReadyWriter(), done: make(chan error, 1)}
	cfg.Addr, cfg.StateDir, cfg.Stdout, cfg.Stderr = "127.0.0.1:0", a.dir, a.stdout, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() { a.done <- Run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if !a.wait() {
			t.Errorf("Run did not return within %v of cancel", waitLimit)
		}
	})
	timer := time.NewTimer(waitLimit + cfg.StartDelay)
	defer timer.Stop()
	select {
	case a.addr = <-a.stdout.addrs:
		return a
	case err := <-a.done:
		t.Fatalf("Run returned before listening: %v", err)
	case <-timer.C:
		t.Fatalf("no readiness line within %v; stdout %q", waitLimit, a.stdout.String())
	}
	return nil
}

// wait waits (bounded) for Run to return and reports whether it did.
func (a *testApp) wait() bool {
	a.once.Do(func() {
		timer := time.NewTimer(waitLimit)
		defer timer.Stop()
		select {
		case a.err = <-a.done:
			a.returned = true
		case <-timer.C:
		}
	})
	return a.returned
}

// result waits for Run and returns its error; the test fails if it hangs.
func (a *testApp) result(t *testing.T) error {
	t.Helper()
	if !a.wait() {
		t.Fatalf("Run did not return within %v", waitLimit)
	}
	return a.err
}

// fresh sends one request on a new connection and returns the response
// with its body read.
func fresh(t *testing.T, method, url string) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{Timeout: waitLimit, Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s %s: %v", method, url, err)
	}
	return resp, body
}

// health is a cheap probe on a new connection, decoded.
func (a *testApp) health(t *testing.T) healthReport {
	t.Helper()
	resp, body := fresh(t, http.MethodGet, "http://"+a.addr+"/health")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /health: status %d, body %q", resp.StatusCode, body)
	}
	return decode[healthReport](t, body)
}

// flip POSTs /demo/<path> on a new connection and wants 200.
func (a *testApp) flip(t *testing.T, path string) switchAnswer {
	t.Helper()
	resp, body := fresh(t, http.MethodPost, "http://"+a.addr+"/demo/"+path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /demo/%s: status %d, body %q", path, resp.StatusCode, body)
	}
	return decode[switchAnswer](t, body)
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

// keepConn is one kept-alive client connection speaking raw HTTP/1.1.
type keepConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialKeep(t *testing.T, addr string) *keepConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitLimit)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &keepConn{c: c, r: bufio.NewReader(c)}
}

// do sends one request on the kept connection and reads the answer.
func (k *keepConn) do(t *testing.T, method, path string) (*http.Response, []byte) {
	t.Helper()
	if err := k.c.SetDeadline(time.Now().Add(waitLimit)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	if _, err := fmt.Fprintf(k.c, "%s %s HTTP/1.1\r\nHost: demo\r\n\r\n", method, path); err != nil {
		t.Fatalf("write %s %s: %v", method, path, err)
	}
	resp, err := http.ReadResponse(k.r, nil)
	if err != nil {
		t.Fatalf("read answer to %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s %s: %v", method, path, err)
	}
	return resp, body
}

// health is a cheap probe on the kept connection: it does not touch the
// accept loop, so it reads the counter without moving it.
func (k *keepConn) health(t *testing.T) healthReport {
	t.Helper()
	resp, body := k.do(t, http.MethodGet, "/health")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("kept GET /health: status %d, body %q", resp.StatusCode, body)
	}
	return decode[healthReport](t, body)
}

// rawRequest dials a new connection and sends a request without reading.
func rawRequest(t *testing.T, addr, path string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitLimit)
	if err != nil {
		t.Fatalf("dial %s (the port must still accept TCP connects): %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n", path); err != nil {
		t.Fatalf("write request: %v", err)
	}
	return c
}

// readWithin reads from c for at most d and returns what it got.
func readWithin(t *testing.T, c net.Conn, d time.Duration) ([]byte, error) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		t.Fatalf("set read deadline: %v", err)
	}
	return io.ReadAll(c)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
