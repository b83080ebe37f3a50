package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

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
