package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// serve runs h on a real 127.0.0.1 listener for the test's lifetime and
// returns its base URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	s := NewServer(h, zaptest.NewLogger(t))
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return within 10s of cancel")
		}
	})
	return "http://" + s.Addr()
}

// get fetches url with a bounded client and returns status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

func TestHealthz(t *testing.T) {
	ptr := func(f float64) *float64 { return &f }
	tests := []struct {
		name     string
		status   Status
		wantCode int
		want     Health
	}{
		{
			name:     "before any child",
			status:   Status{State: "backoff"},
			wantCode: http.StatusServiceUnavailable,
			want:     Health{State: "backoff"},
		},
		{
			name:     "starting",
			status:   Status{State: "starting", Pid: 42, StartedAt: t0},
			wantCode: http.StatusServiceUnavailable,
			want:     Health{State: "starting", PID: 42},
		},
		{
			name: "running with heartbeat after one restart",
			status: Status{State: "running", Pid: 42, StartedAt: t0, Restarts: 1, LastRestartReason: "heartbeat",
				HeartbeatKnown: true, HeartbeatValue: 5, HeartbeatAdvancedAt: t0.Add(-3 * time.Second)},
			wantCode: http.StatusOK,
			want:     Health{State: "running", PID: 42, Restarts: 1, LastRestartReason: "heartbeat", HeartbeatAgeSeconds: ptr(3)},
		},
		{
			name:     "capturing",
			status:   Status{State: "capturing", Pid: 42, StartedAt: t0},
			wantCode: http.StatusServiceUnavailable,
			want:     Health{State: "capturing", PID: 42},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Options{Now: func() time.Time { return t0 }, Status: func() Status { return tt.status }})
			code, body := get(t, serve(t, m.Handler())+"/healthz")
			if code != tt.wantCode {
				t.Errorf("status = %d, want %d; body %s", code, tt.wantCode, body)
			}
			var got Health
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("decode %q: %v", body, err)
			}
			if !equalHealth(got, tt.want) {
				t.Errorf("body = %s, want %+v", body, tt.want)
			}
			for _, field := range []string{"state", "pid", "restarts", "last_restart_reason", "heartbeat_age_seconds"} {
				if !strings.Contains(body, `"`+field+`":`) {
					t.Errorf("body %s lacks field %q", body, field)
				}
			}
		})
	}
}

func equalHealth(a, b Health) bool {
	if (a.HeartbeatAgeSeconds == nil) != (b.HeartbeatAgeSeconds == nil) {
		return false
	}
	if a.HeartbeatAgeSeconds != nil && *a.HeartbeatAgeSeconds != *b.HeartbeatAgeSeconds {
		return false
	}
	a.HeartbeatAgeSeconds, b.HeartbeatAgeSeconds = nil, nil
	return a == b
}

func TestHealthzLive(t *testing.T) {
	tests := []struct {
		name      string
		live      func(ctx context.Context) error
		wantCode  int
		wantError string
	}{
		{
			name:     "loop answers",
			live:     func(ctx context.Context) error { return nil },
			wantCode: http.StatusOK,
		},
		{
			name:      "loop wedged",
			live:      func(ctx context.Context) error { return errors.New("supervisor loop did not answer in 1s") },
			wantCode:  http.StatusServiceUnavailable,
			wantError: "supervisor loop did not answer in 1s",
		},
		{
			name: "loop never answers: bounded by LiveTimeout",
			live: func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			},
			wantCode:  http.StatusServiceUnavailable,
			wantError: "context deadline exceeded",
		},
		{
			name:      "no live func",
			wantCode:  http.StatusServiceUnavailable,
			wantError: "no liveness check configured",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The child state must not matter for liveness.
			m := New(Options{Live: tt.live, LiveTimeout: 50 * time.Millisecond})
			code, body := get(t, serve(t, m.Handler())+"/healthz?live=1")
			if code != tt.wantCode {
				t.Errorf("status = %d, want %d; body %s", code, tt.wantCode, body)
			}
			var got Liveness
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("decode %q: %v", body, err)
			}
			if got.Live != (tt.wantCode == http.StatusOK) || !strings.Contains(got.Error, tt.wantError) {
				t.Errorf("body = %s, want live=%v error containing %q", body, tt.wantCode == http.StatusOK, tt.wantError)
			}
		})
	}
}

func TestHandlerRoutes(t *testing.T) {
	tests := []struct {
		name     string
		pprof    bool
		path     string
		wantCode int
		wantBody string
	}{
		{name: "metrics", path: "/metrics", wantCode: http.StatusOK, wantBody: "hsup_child_restarts_total{reason=\"fd_pressure\"} 0"},
		{name: "go collector", path: "/metrics", wantCode: http.StatusOK, wantBody: "go_goroutines"},
		{name: "process collector", path: "/metrics", wantCode: http.StatusOK, wantBody: "process_open_fds"},
		{name: "pprof off", path: "/debug/pprof/", wantCode: http.StatusNotFound},
		{name: "pprof on", pprof: true, path: "/debug/pprof/", wantCode: http.StatusOK, wantBody: "goroutine"},
		{name: "pprof goroutine dump", pprof: true, path: "/debug/pprof/goroutine?debug=1", wantCode: http.StatusOK, wantBody: "goroutine profile"},
		{name: "pprof cmdline", pprof: true, path: "/debug/pprof/cmdline", wantCode: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Options{Pprof: tt.pprof, Labels: testLabels})
			code, body := get(t, serve(t, m.Handler())+tt.path)
			if code != tt.wantCode {
				t.Errorf("GET %s: status %d, want %d", tt.path, code, tt.wantCode)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("GET %s: body lacks %q:\n%.500s", tt.path, tt.wantBody, body)
			}
		})
	}
}

func TestHealthzMethod(t *testing.T) {
	m := New(Options{})
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Post(serve(t, m.Handler())+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: status %d, want 405", resp.StatusCode)
	}
}

// /metrics answers uncompressed even to a client that offers gzip (as
// Prometheus does): over loopback compression saves nothing and costs a
// gzip writer a scrape.
func TestMetricsUncompressed(t *testing.T) {
	m := New(Options{Labels: testLabels})
	req, err := http.NewRequest(http.MethodGet, serve(t, m.Handler())+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip") // set by hand: the transport then leaves the body as sent
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.Header.Get("Content-Encoding") != "" || !strings.Contains(string(b), "go_goroutines") {
		t.Errorf("Content-Encoding %q, body %.100q, %v; want plain text", resp.Header.Get("Content-Encoding"), b, err)
	}
}
