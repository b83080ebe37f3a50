package metrics

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/netutil"

	"go.uber.org/zap/zaptest"
)

func TestListenTakenPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("bind a port to take: %v", err)
	}
	t.Cleanup(func() { taken.Close() })
	addr := taken.Addr().String()

	s := NewServer(http.NotFoundHandler(), zaptest.NewLogger(t))
	err = s.Listen(addr)
	if err == nil {
		s.Close()
		t.Fatalf("Listen(%s) on a taken port succeeded", addr)
	}
	for _, want := range []string{"metrics address " + addr + " is in use", "--metrics-addr", `""`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if s.Addr() != "" {
		t.Errorf("Addr() = %q after failed Listen, want empty", s.Addr())
	}
}

func TestListenBadAddress(t *testing.T) {
	s := NewServer(http.NotFoundHandler(), zaptest.NewLogger(t))
	err := s.Listen("127.0.0.1:notaport")
	if err == nil {
		s.Close()
		t.Fatal("Listen on a malformed address succeeded")
	}
	if !strings.Contains(err.Error(), "127.0.0.1:notaport") || !strings.Contains(err.Error(), "--metrics-addr") {
		t.Errorf("error %q should name the address and the flag", err)
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	// A handler that blocks until its request context ends shows that
	// Serve does not wait for in-flight requests beyond ctx.
	entered := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	})
	s := NewServer(h, zaptest.NewLogger(t))
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := s.Addr()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()

	reqDone := make(chan struct{})
	go func() {
		defer close(reqDone)
		c := &http.Client{Timeout: 10 * time.Second}
		if resp, err := c.Get("http://" + addr + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	waitFor(t, entered, "request to reach the handler")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return within 10s of cancel")
	}
	waitFor(t, reqDone, "client request to end")

	// The port is released: it can be bound again.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port %s still taken after Serve returned: %v", addr, err)
	}
	ln.Close()
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestServeWithoutListen(t *testing.T) {
	s := NewServer(http.NotFoundHandler(), zaptest.NewLogger(t))
	if err := s.Serve(context.Background()); !errors.Is(err, ErrNotListening) {
		t.Errorf("Serve without Listen = %v, want ErrNotListening", err)
	}
}

func TestCloseReleasesPort(t *testing.T) {
	s := NewServer(http.NotFoundHandler(), zaptest.NewLogger(t))
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := s.Addr()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port %s still taken after Close: %v", addr, err)
	}
	ln.Close()
	if err := s.Serve(context.Background()); !errors.Is(err, ErrNotListening) {
		t.Errorf("Serve after Close = %v, want ErrNotListening", err)
	}
}

// serveOn is serve (http_test.go) as host:port, for raw connections.
func serveOn(t *testing.T, h http.Handler) string {
	t.Helper()
	return strings.TrimPrefix(serve(t, h), "http://")
}

// dial opens a raw connection closed when the test ends.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestServeCapsConnections: with maxConns connections open, the next
// client is not served (it waits in the kernel's backlog) until one of
// them closes.
func TestServeCapsConnections(t *testing.T) {
	addr := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	held := make([]net.Conn, 0, maxConns)
	for range maxConns {
		c := dial(t, addr)
		// A complete request keeps the connection in use (kept alive).
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for _, c := range held { // every one of them was accepted and answered
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
			t.Fatalf("held connection not answered: %v", err)
		}
	}
	extra := dial(t, addr)
	if _, err := extra.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(extra)
	_ = extra.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if resp, err := http.ReadResponse(br, nil); err == nil {
		t.Fatalf("connection %d answered (%s) while %d were open", maxConns+1, resp.Status, maxConns)
	}
	held[0].Close()
	_ = extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("connection %d not answered after one closed: %v", maxConns+1, err)
	}
	resp.Body.Close()
}

// TestServeBoundsHeaders: an endless header is answered 431 and the
// connection closed once it passes maxHeaderBytes plus net/http's 4 KiB
// of slack, without waiting for the header's end.
func TestServeBoundsHeaders(t *testing.T) {
	addr := serveOn(t, http.NotFoundHandler())
	c := dial(t, addr)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	line := []byte("X-Flood: " + strings.Repeat("a", 1000) + "\r\n")
	sent := 0
	for sent < 1<<20 { // stops early: the server closes the connection
		n, err := c.Write(line)
		sent += n
		if err != nil {
			break
		}
		if sent > maxHeaderBytes+4096+len(line) {
			break // past the bound: the server must answer now
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer after %d bytes of headers: %v", sent, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %s after %d bytes of headers, want 431", resp.Status, sent)
	}
}

func TestServerTimeouts(t *testing.T) {
	log := zaptest.NewLogger(t)
	for _, pprof := range []bool{false, true} {
		srv := newHTTPServer(New(Options{Pprof: pprof, Labels: testLabels}).Handler(), log)
		want := writeTimeout
		if pprof {
			want = pprofTimeout
		}
		if srv.WriteTimeout != want || srv.ReadTimeout < want || srv.MaxHeaderBytes != maxHeaderBytes ||
			srv.ReadHeaderTimeout != readHeaderTimeout || srv.IdleTimeout != idleTimeout {
			t.Errorf("pprof=%v: server %+v, want write timeout %v and the package's bounds", pprof, srv, want)
		}
		if pprof && srv.WriteTimeout <= 30*time.Second {
			t.Errorf("write timeout %v cuts pprof's default 30 s profile", srv.WriteTimeout)
		}
	}
}

// TestLimitListenerCloseUnblocks: an Accept waiting for a free slot
// returns when the listener is closed.
func TestLimitListenerCloseUnblocks(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := netutil.LimitListener(ln, 1)
	t.Cleanup(func() { l.Close() })
	dial(t, ln.Addr().String())
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	errc := make(chan error, 1)
	go func() {
		c2, err := l.Accept()
		if c2 != nil {
			c2.Close()
		}
		errc <- err
	}()
	dial(t, ln.Addr().String())
	select {
	case err := <-errc:
		t.Fatalf("second Accept returned (%v) while the only slot was taken", err)
	case <-time.After(200 * time.Millisecond):
	}
	l.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waiting 5s after Close")
	}
	// Closing a connection twice gives its slot back once: a second
	// release would wait forever on the emptied semaphore.
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_ = c.Close()
		_ = c.Close()
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("closing an accepted connection twice blocked")
	}
}
