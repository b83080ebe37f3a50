package healthcheck

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const probeTimeout = 2 * time.Second

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestProbeClasses(t *testing.T) {
	big := strings.Repeat("x", 3*MaxBody)
	tests := []struct {
		name       string
		status     int
		body       string
		want       Result
		wantHB     float64
		wantHasHB  bool
		wantDetail string
	}{
		{name: "200 JSON ok", status: 200, body: `{"status":"ok","accept_loop":{"requests_total":17}}`,
			want: OK, wantHB: 17, wantHasHB: true, wantDetail: "ok"},
		{name: "200 non-JSON", status: 200, body: "OK\n", want: OK},
		{name: "200 body over the cap", status: 200, body: big, want: OK},
		{name: "503 JSON degraded", status: 503, body: `{"status":"degraded","accept_loop":{"requests_total":2}}`,
			want: Degraded, wantHB: 2, wantHasHB: true, wantDetail: "degraded"},
		{name: "503 empty is busy", status: 503, want: Busy},
		{name: "500 JSON", status: 500, body: `{"error":"boom"}`, want: Degraded, wantDetail: "boom"},
		{name: "404 plain", status: 404, body: "not found", want: Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.body == "" {
					w.Header().Set("Content-Length", "0")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			o := Probe(t.Context(), srv.URL+"/health", probeTimeout, "accept_loop.requests_total")
			if o.Result != tt.want || o.Status != tt.status {
				t.Fatalf("Probe() = %+v, want result %q status %d", o, tt.want, tt.status)
			}
			if o.Heartbeat != tt.wantHB || o.HasHeartbeat != tt.wantHasHB {
				t.Errorf("heartbeat = %v, %v; want %v, %v", o.Heartbeat, o.HasHeartbeat, tt.wantHB, tt.wantHasHB)
			}
			if tt.wantDetail != "" && o.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", o.Detail, tt.wantDetail)
			}
			if o.At.IsZero() || o.Duration <= 0 || o.Duration > probeTimeout {
				t.Errorf("At = %v, Duration = %v: want a start time and a duration within the timeout", o.At, o.Duration)
			}
		})
	}
}

func TestProbeRedirectNotFollowed(t *testing.T) {
	var followed atomic.Bool
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Store(true)
			io.WriteString(w, `{"status":"ok"}`)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	o := Probe(t.Context(), srv.URL+"/health", probeTimeout, "")
	if o.Result != Error || o.Status != http.StatusFound {
		t.Errorf("Probe() = %+v, want error with status 302", o)
	}
	if followed.Load() {
		t.Error("the probe followed the redirect")
	}
}

func TestProbeSlowBodyTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		io.WriteString(w, `{"status":`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before srv.Close: unblocks the handler
	const timeout = 200 * time.Millisecond
	o := Probe(t.Context(), srv.URL+"/health", timeout, "")
	if o.Result != Timeout {
		t.Errorf("Probe() = %+v, want timeout", o)
	}
	if o.Duration < timeout || o.Duration > timeout+probeTimeout {
		t.Errorf("Duration = %v, want about %v", o.Duration, timeout)
	}
}

func TestProbeRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o := Probe(t.Context(), "http://"+addr+"/health", probeTimeout, "")
	if o.Result != Refused || o.Status != 0 {
		t.Errorf("Probe() = %+v, want refused", o)
	}
}

// TestProbeReset: the server accepts, reads the request and closes with
// SO_LINGER 0, which sends RST instead of FIN.
func TestProbeReset(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(probeTimeout))
		br := bufio.NewReader(c)
		for line, err := br.ReadString('\n'); err == nil && line != "\r\n"; line, err = br.ReadString('\n') {
		}
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	o := Probe(t.Context(), "http://"+ln.Addr().String()+"/health", probeTimeout, "")
	if o.Result != Reset {
		t.Errorf("Probe() = %+v, want reset", o)
	}
}

// oneAcceptListener accepts one connection and then stops accepting, like
// a wedged accept loop: the kernel still completes new handshakes into
// the backlog, but nobody reads them.
type oneAcceptListener struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
	mu     sync.Mutex
	served bool
}

func (l *oneAcceptListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	first := !l.served
	l.served = true
	l.mu.Unlock()
	if first {
		return l.Listener.Accept()
	}
	<-l.closed
	return nil, net.ErrClosed
}

func (l *oneAcceptListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func TestProbeUsesAFreshConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wedged := &oneAcceptListener{Listener: ln, closed: make(chan struct{})}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"ok"}`)
	}))
	srv.Listener = wedged
	srv.Start()
	t.Cleanup(srv.Close)
	url := srv.URL + "/health"

	// A keep-alive client keeps getting answers on its one old connection...
	tr := &http.Transport{Proxy: nil}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: probeTimeout}
	for i := range 2 {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("keep-alive GET %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// ...but a probe must open a new one, and nobody accepts it.
	o := Probe(t.Context(), url, 300*time.Millisecond, "")
	if o.Result != Timeout {
		t.Errorf("Probe() on a wedged accept loop = %+v, want timeout", o)
	}
}

func TestTwoProbesTwoConnections(t *testing.T) {
	states := make(chan http.ConnState, 16)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"ok"}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) { states <- s }
	srv.Start()
	t.Cleanup(srv.Close)
	for i := range 2 {
		if o := Probe(t.Context(), srv.URL+"/health", probeTimeout, ""); o.Result != OK {
			t.Fatalf("probe %d = %+v, want ok", i, o)
		}
	}
	// Each probe's connection must be accepted anew and closed afterwards.
	count := map[http.ConnState]int{}
	deadline := time.NewTimer(probeTimeout)
	defer deadline.Stop()
	for count[http.StateClosed] < 2 {
		select {
		case s := <-states:
			count[s]++
		case <-deadline.C:
			t.Fatalf("connection states after two probes: %v, want 2 new and 2 closed", count)
		}
	}
	if count[http.StateNew] != 2 {
		t.Errorf("server accepted %d connections for two probes, want 2", count[http.StateNew])
	}
}

func TestProbeCanceledByCaller(t *testing.T) {
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if o := Probe(ctx, srv.URL, probeTimeout, ""); o.Result != Error {
		t.Errorf("Probe() with a canceled context = %+v, want error (not a verdict about the server)", o)
	}
}

func TestProbeBadURL(t *testing.T) {
	o := Probe(t.Context(), "http://[::1/health", probeTimeout, "")
	if o.Result != Error || !strings.Contains(o.Detail, "build the probe request") {
		t.Errorf("Probe() = %+v, want error naming the request", o)
	}
}
