package healthcheck

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// webUIBody is the WebUI's cheap health answer (see the health contract).
const webUIBody = `{"status":"ok","sessions":0,"active_streams":0,"active_runs":0,"runs":[],` +
	`"last_run_finished_at":null,"server_started_at":1795342472.09,"uptime_seconds":8.7,` +
	`"accept_loop":{"requests_total":1,"last_request_at":1795342480.82}}`

// padded serves prefix, then n bytes of 'x', then suffix, with the HTTP
// status given, streamed from one reused chunk so that the server itself
// allocates little. Writing stops when the client goes away.
func padded(status int, prefix string, n int, suffix string) http.HandlerFunc {
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(prefix)+n+len(suffix)))
		w.WriteHeader(status)
		if _, err := w.Write([]byte(prefix)); err != nil {
			return
		}
		for left := n; left > 0; left -= len(chunk) {
			if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(suffix))
	}
}

// BenchmarkProbe: one probe over a real socket. B/op counts the
// in-process server's allocations too.
func BenchmarkProbe(b *testing.B) {
	const tenMiB = 10 << 20
	cases := []struct {
		name string
		h    http.HandlerFunc
	}{
		{name: "webui-200", h: fixedBody(200, webUIBody)},
		{name: "10MiB-status-first", h: padded(200,
			`{"status":"ok","accept_loop":{"requests_total":1},"details":"`, tenMiB, `"}`)},
		{name: "10MiB-status-last", h: padded(200, `{"details":"`, tenMiB, `","status":"degraded"}`)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			srv := serveB(b, c.h)
			b.ReportAllocs()
			for b.Loop() {
				_ = Probe(b.Context(), srv+"/health", 5*time.Second, "accept_loop.requests_total")
			}
		})
	}
}

func serveB(b *testing.B, h http.HandlerFunc) string {
	b.Helper()
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}
