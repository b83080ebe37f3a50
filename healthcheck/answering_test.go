package healthcheck

import (
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"
)

func TestAnswering(t *testing.T) {
	srv := serve(t, newFakeApp(appOK).serve)
	cfg := DefaultConfig()
	cfg.URL = srv.URL + "/health"
	m := NewMonitor(cfg, zaptest.NewLogger(t), nil)
	ok, desc := m.Answering(t.Context())
	t.Log(desc)
	if !ok {
		t.Errorf("Answering() = false, %q; want true for a server answering 200", desc)
	}
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	if !strings.Contains(desc, "port "+p) || !strings.Contains(desc, "ok (HTTP 200)") {
		t.Errorf("description %q should name port %s and the answer", desc, p)
	}
	// This test process is the listener: it must be named.
	if !strings.Contains(desc, "held by pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("description %q should name this process (pid %d)", desc, os.Getpid())
	}
}

func TestAnsweringAnyHTTPStatus(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	cfg := DefaultConfig()
	cfg.URL = srv.URL + "/health"
	ok, desc := NewMonitor(cfg, zaptest.NewLogger(t), nil).Answering(t.Context())
	if !ok || !strings.Contains(desc, "HTTP 404") {
		t.Errorf("Answering() = %v, %q; want true: a 404 still means something holds the port", ok, desc)
	}
}

func TestAnsweringNothingListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := DefaultConfig()
	cfg.URL = "http://" + addr + "/health"
	ok, desc := NewMonitor(cfg, zaptest.NewLogger(t), nil).Answering(t.Context())
	t.Log(desc)
	_, p, _ := net.SplitHostPort(addr)
	if ok || !strings.Contains(desc, "refused") || !strings.Contains(desc, ":"+p) {
		t.Errorf("Answering() = %v, %q; want false, naming port %s and refused", ok, desc, p)
	}
	// Nothing answered, so there is no holder to name: lsof (tens of ms on
	// every restart) must not run.
	if strings.Contains(desc, "lsof") || strings.Contains(desc, "listener") {
		t.Errorf("Answering() looked for a listener although nothing answered: %q", desc)
	}
}

func TestAnsweringDisabled(t *testing.T) {
	ok, desc := NewMonitor(Config{}, zaptest.NewLogger(t), nil).Answering(t.Context())
	if ok || !strings.Contains(desc, "disabled") {
		t.Errorf("Answering() = %v, %q; want false and a note that probing is disabled", ok, desc)
	}
}

func TestListenersOfAFreePort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	if got := listeners(t.Context(), p); !strings.Contains(got, "no listener") {
		t.Errorf("listeners() = %q, want no listener on a free port", got)
	}
}
