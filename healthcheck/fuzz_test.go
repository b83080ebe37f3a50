package healthcheck

import (
	"math"
	"testing"
)

var knownResults = map[Result]bool{OK: true, Degraded: true, Busy: true, Timeout: true, Refused: true, Reset: true, Error: true}

// FuzzClassify: any status and body must classify without panicking, into
// a known class, with a short detail. Seeds live in testdata/fuzz.
func FuzzClassify(f *testing.F) {
	f.Add(200, []byte(`{"status":"ok"}`))
	f.Add(503, []byte{})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		r, detail := Classify(status, body, nil)
		if !knownResults[r] {
			t.Fatalf("Classify(%d, %q) = unknown result %q", status, body, r)
		}
		if len(detail) > maxDetail+3 {
			t.Fatalf("detail is %d bytes long", len(detail))
		}
		if status >= 200 && status < 300 && r != OK && r != Degraded {
			t.Fatalf("Classify(%d, %q) = %q, want ok or degraded for 2xx", status, body, r)
		}
		if status == 503 && r != Busy && r != Degraded {
			t.Fatalf("Classify(503, %q) = %q, want busy or degraded", body, r)
		}
	})
}

// FuzzField: any body and path must yield a finite number or nothing.
func FuzzField(f *testing.F) {
	f.Add([]byte(`{"accept_loop":{"requests_total":1}}`), "accept_loop.requests_total")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		v, ok := Field(body, path)
		if ok && (math.IsInf(v, 0) || math.IsNaN(v)) {
			t.Fatalf("Field(%q, %q) = %v, want a finite number", body, path, v)
		}
		if !ok && v != 0 {
			t.Fatalf("Field(%q, %q) = %v, false; want 0 when not found", body, path, v)
		}
	})
}
