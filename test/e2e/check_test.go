package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/hsup/hsup/test/hsuptest"
)

// TestCheck runs `hsup check` against a server this test owns on
// 127.0.0.1, one path per kind of answer.
func TestCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{}) // lets the hanging handler go at the end
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"status":"ok","accept_loop":{"requests_total":7}}`)
	})
	mux.HandleFunc("/degraded", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"status":"degraded"}`)
	})
	mux.HandleFunc("/busy", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/hang", func(http.ResponseWriter, *http.Request) { <-release })
	srv := &http.Server{Handler: mux}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	t.Cleanup(func() { close(release); _ = srv.Close(); <-served })
	base := "http://" + ln.Addr().String()
	refused := fmt.Sprintf("http://127.0.0.1:%d/health", hsuptest.FreePort(t))

	cases := []struct {
		name      string
		url       string
		code      int
		result    string
		status    int
		heartbeat bool
	}{
		{name: "ok", url: base + "/ok", code: 0, result: "ok", status: 200, heartbeat: true},
		{name: "degraded", url: base + "/degraded", code: 1, result: "degraded", status: 503},
		{name: "busy", url: base + "/busy", code: 1, result: "busy", status: 503},
		{name: "refused", url: refused, code: 3, status: 0},
		{name: "timeout", url: base + "/hang", code: 3, result: "timeout", status: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := hsuptest.Start(t, []string{"check", "--timeout=300ms", c.url})
			if code := p.Wait(t, exitWait); code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			out := strings.TrimSpace(p.Stdout())
			if strings.Count(out, "\n") != 0 {
				t.Fatalf("stdout %q, want one JSON line", out)
			}
			var got struct {
				URL       string   `json:"url"`
				Result    string   `json:"result"`
				Status    int      `json:"status"`
				MS        *float64 `json:"ms"`
				Heartbeat *float64 `json:"heartbeat"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("stdout %q: %v", out, err)
			}
			if got.URL != c.url || got.Status != c.status || got.MS == nil {
				t.Errorf("line %q: want url %s, status %d, ms present", out, c.url, c.status)
			}
			if c.result != "" && got.Result != c.result {
				t.Errorf("result %q, want %q", got.Result, c.result)
			}
			if c.result == "" && (got.Result == "ok" || got.Result == "degraded" || got.Result == "busy") {
				t.Errorf("result %q for a refused connection", got.Result)
			}
			if c.heartbeat && (got.Heartbeat == nil || *got.Heartbeat != 7) {
				t.Errorf("heartbeat %v, want 7", got.Heartbeat)
			}
		})
	}
}
