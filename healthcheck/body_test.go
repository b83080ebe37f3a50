package healthcheck

import (
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestReadAnswer(t *testing.T) {
	const hb = "accept_loop.requests_total"
	tests := []struct {
		name       string
		status     int
		body       string
		path       string
		want       Result
		wantHB     float64
		wantHasHB  bool
		wantDetail string
	}{
		{name: "webui ok", status: 200, body: webUIBody, path: hb, want: OK, wantHB: 1, wantHasHB: true, wantDetail: "ok"},
		{name: "heartbeat before status", status: 200, body: `{"accept_loop":{"requests_total":4},"status":"ok"}`, path: hb,
			want: OK, wantHB: 4, wantHasHB: true},
		{name: "heartbeat behind nested noise", status: 200, path: hb, want: OK, wantHB: 6, wantHasHB: true,
			body: `{"status":"ok","accept_loop":{"x":[1,{"requests_total":0}],"y":{},"requests_total":6}}`},
		{name: "heartbeat a string", status: 200, body: `{"status":"ok","accept_loop":{"requests_total":"6"}}`, path: hb, want: OK},
		{name: "heartbeat branch not an object", status: 200, body: `{"status":"ok","accept_loop":[1]}`, path: hb, want: OK},
		{name: "heartbeat absent, object closed", status: 200, body: `{"status":"ok","x":1}`, path: hb, want: OK},
		{name: "heartbeat absent, object cut", status: 200, body: `{"status":"ok","x":1`, path: hb, want: Invalid},
		{name: "heartbeat branch cut", status: 200, body: `{"status":"ok","accept_loop":{"a":1`, path: hb, want: Invalid},
		{name: "heartbeat found, then the body breaks", status: 200, path: hb, want: OK, wantHB: 2, wantHasHB: true,
			body: `{"status":"ok","accept_loop":{"requests_total":2,`},
		{name: "heartbeat not needed, body breaks", status: 200, body: `{"status":"ok",`, want: OK},
		{name: "degraded, heartbeat after it", status: 503, path: hb, want: Degraded, wantHB: 8, wantHasHB: true,
			body: `{"status":"degraded","accept_loop":{"requests_total":8}}`},
		{name: "first heartbeat counts", status: 200, path: "n", want: OK, wantHB: 1, wantHasHB: true,
			body: `{"status":"ok","n":1,"n":2}`},
		{name: "escaped key", status: 200, path: "n", want: OK, wantHB: 3, wantHasHB: true,
			body: `{"\u006e":3,"status":"ok"}`},
		{name: "non-ASCII key", status: 200, path: "ü", want: OK, wantHB: 3, wantHasHB: true, body: `{"ü":3}`},
		{name: "status key is the heartbeat path", status: 200, path: "status", want: Degraded, wantHB: 5, wantHasHB: true,
			body: `{"status":5}`, wantDetail: "5"},
		{name: "status an object", status: 200, body: `{"status":{"a": [1, 2]}}`, want: Degraded, wantDetail: `{"a": [1, 2]}`},
		{name: "escaped status value", status: 200, body: `{"status":"\u006fk"}`, want: OK},
		{name: "bad escape before status", status: 200, body: `{"a":"\x","status":"ok"}`, want: Invalid},
		{name: "control character before status", status: 200, body: "{\"a\":\"\t\",\"status\":\"ok\"}", want: Invalid},
		{name: "bad number before status", status: 200, body: `{"a":1.,"status":"ok"}`, want: Invalid},
		{name: "bad literal before status", status: 200, body: `{"a":nul,"status":"ok"}`, want: Invalid},
		{name: "missing comma before status", status: 200, body: `{"a":1 "status":"ok"}`, want: Invalid},
		{name: "NUL byte 503", status: 503, body: "\x00", want: Degraded},
		{name: "array 503", status: 503, body: `[{"status":"ok"}]`, want: Degraded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := probeBody(tt.status, strings.NewReader(tt.body), MaxBody, tt.path)
			if o.Result != tt.want {
				t.Errorf("result %q (detail %q), want %q", o.Result, o.Detail, tt.want)
			}
			if o.Heartbeat != tt.wantHB || o.HasHeartbeat != tt.wantHasHB {
				t.Errorf("heartbeat %v, %v; want %v, %v", o.Heartbeat, o.HasHeartbeat, tt.wantHB, tt.wantHasHB)
			}
			if tt.wantDetail != "" && o.Detail != tt.wantDetail {
				t.Errorf("detail %q, want %q", o.Detail, tt.wantDetail)
			}
		})
	}
}

// TestScannerAgreesWithEncodingJSON: on valid and invalid bodies alike, the
// scanner accepts exactly what json.Valid does (inside an object), depth
// limit included.
func TestScannerAgreesWithEncodingJSON(t *testing.T) {
	values := []string{
		`0`, `-0`, `-0.5e+10`, `1E-2`, `01`, `-`, `1.`, `1e`, `.5`, `+1`, `1e+`, `123456789012345678901234567890`,
		`""`, `"a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00"`, `"\u12"`, `"\a"`, "\"\x01\"", "\"\xff\"",
		`true`, `false`, `null`, `tru`, `nulll`, `True`,
		`[]`, `[1,]`, `[,1]`, `[1 2]`, `{}`, `{"a":}`, `{"a" 1}`, `{1:1}`, `{"a":1,}`, `[[[]]]`, `{"a":[{"b":{}}]}`,
		strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1),
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
	}
	for _, v := range values {
		body := `{"x":` + v + `,"status":"degraded"}`
		want := json.Valid([]byte(body))
		a := readAnswer(strings.NewReader(body), MaxBody, 200, "")
		if got := a.hasStatus; got != want {
			t.Errorf("body %.60q: scanner valid = %v (fault %v), json.Valid = %v", body, got, a.fault, want)
		}
	}
}

func TestPolicyCountsInvalidAsAFailure(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HeartbeatField = ""
	t0 := time.Unix(1000, 0)
	p := NewPolicy(cfg, t0)
	if v := p.Observe(Cheap, Outcome{Result: OK}, t0); v.Status != StatusHealthy {
		t.Fatalf("after ok: %+v", v)
	}
	var v Verdict
	for i := range cfg.Failures {
		v = p.Observe(Cheap, Outcome{Result: Invalid, Status: 200}, t0.Add(time.Duration(i+1)*time.Second))
	}
	if v.Status != StatusDegraded || v.Reason != ReasonHealth {
		t.Errorf("after %d invalid answers: %+v, want degraded for reason %q (a failure like degraded, not busy)",
			cfg.Failures, v, ReasonHealth)
	}
}

// endless is a body of '{"details":"' and then 'x' for ever: it makes a
// probe read up to its bound, and costs nothing to produce.
type endless struct{ started bool }

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	if !e.started {
		e.started = true
		n = copy(p, `{"details":"`)
	}
	for i := n; i < len(p); i++ {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestProbeMemoryIsBounded: a probe of a 10 MiB answer (status after the
// bound, so the probe reads all MaxBody bytes) allocates a small,
// fixed amount: the body is streamed, never held.
func TestProbeMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations over real probes")
	}
	const probes = 5
	const limit = 256 << 10 // client, in-process server and runtime noise included
	srv := serve(t, padded(200, `{"details":"`, 10<<20, `","status":"degraded"}`))
	per := allocPerProbe(t, probes, func() {
		if o := Probe(t.Context(), srv.URL+"/health", 5*time.Second, "accept_loop.requests_total"); o.Result != Invalid {
			t.Fatalf("result %q (%s), want invalid", o.Result, o.Detail)
		}
	})
	t.Logf("10 MiB answer: %d bytes allocated per probe (body read: %d bytes)", per, MaxBody)
	if per > limit {
		t.Errorf("a probe of a 10 MiB answer allocated %d bytes, want at most %d", per, limit)
	}
	scan := allocPerProbe(t, probes, func() {
		if a := readAnswer(&endless{}, MaxBody, 200, "accept_loop.requests_total"); a.fault == nil {
			t.Fatal("an endless body was read to its end")
		}
	})
	t.Logf("scanner alone, %d bytes read: %d bytes allocated", MaxBody, scan)
	if scan > 32<<10 {
		t.Errorf("reading %d bytes allocated %d bytes, want at most %d", MaxBody, scan, 32<<10)
	}
}

func allocPerProbe(t *testing.T, n int, f func()) uint64 {
	t.Helper()
	f() // warm up: connection pools, server goroutines
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

// BenchmarkReadAnswer: the scanner alone on the WebUI's answer and on a
// body read to the bound.
func BenchmarkReadAnswer(b *testing.B) {
	b.Run("webui", func(b *testing.B) {
		body := []byte(webUIBody)
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			readAnswer(bytes.NewReader(body), MaxBody, 200, "accept_loop.requests_total")
		}
	})
	b.Run("to-the-bound", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(MaxBody)
		for b.Loop() {
			readAnswer(io.Reader(&endless{}), MaxBody, 200, "accept_loop.requests_total")
		}
	})
}
