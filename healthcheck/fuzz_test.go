package healthcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

var knownResults = map[Result]bool{OK: true, Degraded: true, Busy: true, Invalid: true,
	Timeout: true, Refused: true, Reset: true, Error: true}

// FuzzClassify: any status and body must classify without panicking, into
// a known class, with a short detail; only a bare 503 is busy; and a
// valid JSON object (with no repeated keys, whose first-or-last choice
// would differ) classifies as the whole-body decoding it replaced did.
// Seeds live in testdata/fuzz.
func FuzzClassify(f *testing.F) {
	f.Add(200, []byte(`{"status":"ok"}`))
	f.Add(503, []byte{})
	f.Add(503, []byte(`{"details":"xxxx","status":"degraded","error":"E"}`))
	f.Add(200, []byte(`{"a":[1,{"b":null}],"status":"OK"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		r, detail := Classify(status, body, nil)
		if !knownResults[r] {
			t.Fatalf("Classify(%d, %q) = unknown result %q", status, body, r)
		}
		if len(detail) > maxDetail+3 {
			t.Fatalf("detail is %d bytes long", len(detail))
		}
		bare := len(bytes.TrimLeft(body, " \t\r\n")) == 0 && len(body) <= MaxBody
		switch {
		case status >= 200 && status < 300 && r != OK && r != Degraded && r != Invalid:
			t.Fatalf("Classify(%d, %q) = %q, want ok, degraded or invalid for 2xx", status, body, r)
		case status == 503 && bare && r != Busy:
			t.Fatalf("Classify(503, %q) = %q, want busy for a bare 503", body, r)
		case status == 503 && !bare && r != Degraded && r != Invalid:
			t.Fatalf("Classify(503, %q) = %q, want degraded or invalid for a 503 with a body", body, r)
		case !bodyCounts(status) && r != Error:
			t.Fatalf("Classify(%d, %q) = %q, want error", status, body, r)
		}
		if !comparable(body) {
			return
		}
		wantR, wantDetail := referenceClassify(status, body)
		if r != wantR || (r != OK && detail != wantDetail) {
			t.Fatalf("Classify(%d, %q) = %q, %q; whole-body decoding says %q, %q", status, body, r, detail, wantR, wantDetail)
		}
	})
}

// FuzzHead: a body never classifies better than its head says. Read
// through a smaller bound, or cut short by the connection, an answer is
// either classified as the whole body is or invalid; and how the body
// arrives (a byte at a time) changes nothing.
func FuzzHead(f *testing.F) {
	f.Add(200, []byte(`{"status":"ok","accept_loop":{"requests_total":3}}`), uint32(20), "accept_loop.requests_total")
	f.Add(503, []byte(`{"details":"xxxxxxxx","status":"degraded"}`), uint32(12), "accept_loop.requests_total")
	f.Add(503, []byte("   "), uint32(2), "")
	f.Add(200, []byte(`{"status":"degraded","details":"xx`), uint32(30), "n")
	f.Fuzz(func(t *testing.T, status int, body []byte, cut uint32, path string) {
		if !bodyCounts(status) {
			status = 200 + int(uint(status)%4)*100 // 200, 300 (error), 400 or 503
			if status == 500 {
				status = 503
			}
		}
		whole := probeBody(status, bytes.NewReader(body), MaxBody, path)
		if got := probeBody(status, iotest.OneByteReader(bytes.NewReader(body)), MaxBody, path); got != whole {
			t.Fatalf("a byte at a time: %+v, whole: %+v", got, whole)
		}
		n := int(cut) % (len(body) + 1)
		heads := map[string]Outcome{
			"bounded":   probeBody(status, bytes.NewReader(body), int64(n), path),
			"truncated": probeBody(status, io.MultiReader(bytes.NewReader(body[:n]), iotest.ErrReader(io.ErrUnexpectedEOF)), MaxBody, path),
		}
		for how, head := range heads {
			if head.Result == Invalid || head.Result == whole.Result && (head.Result != OK || head.HasHeartbeat == whole.HasHeartbeat && head.Heartbeat == whole.Heartbeat) {
				continue
			}
			t.Fatalf("%s at %d of %d bytes: %+v; the whole body: %+v", how, n, len(body), head, whole)
		}
	})
}

// probeBody is a probe's Outcome for an answer with this status and body,
// without the timing.
func probeBody(status int, body io.Reader, limit int64, path string) Outcome {
	o := settle(time.Time{}, status, readAnswer(body, limit, status, path), nil)
	o.Duration = 0
	return o
}

// FuzzField: any body and path must yield a finite number or nothing, and
// on a valid body (without repeated keys) what whole-body decoding found.
func FuzzField(f *testing.F) {
	f.Add([]byte(`{"accept_loop":{"requests_total":1}}`), "accept_loop.requests_total")
	f.Add([]byte(`{"a":{"x":[1,2,{"b":3}],"b":-0.5e1}}`), "a.b")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		v, ok := Field(body, path)
		if ok && (math.IsInf(v, 0) || math.IsNaN(v)) {
			t.Fatalf("Field(%q, %q) = %v, want a finite number", body, path, v)
		}
		if !ok && v != 0 {
			t.Fatalf("Field(%q, %q) = %v, false; want 0 when not found", body, path, v)
		}
		if !json.Valid(body) || len(body) > 1000 || !uniqueKeys(body) {
			return
		}
		if wantV, wantOK := referenceField(body, path); v != wantV || ok != wantOK {
			t.Fatalf("Field(%q, %q) = %v, %v; whole-body decoding says %v, %v", body, path, v, ok, wantV, wantOK)
		}
	})
}

// comparable: a body the reference decoding and the stream must agree on.
// Bodies over 1000 bytes are left out, as the captures (maxText, maxNum)
// then shorten what the reference reads whole.
func comparable(body []byte) bool {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return len(body) <= 1000 && len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(body) && uniqueKeys(body)
}

// uniqueKeys reports whether no object in a valid JSON body repeats a key.
func uniqueKeys(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var value func() bool
	value = func() bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		d, isDelim := tok.(json.Delim)
		if !isDelim {
			return true
		}
		seen := map[string]bool{}
		for dec.More() {
			if d == '{' {
				k, err := dec.Token()
				if err != nil || seen[fmt.Sprint(k)] {
					return false
				}
				seen[fmt.Sprint(k)] = true
			}
			if !value() {
				return false
			}
		}
		_, err = dec.Token()
		return err == nil
	}
	return value()
}

// referenceClassify is Classify as it was before bodies were streamed:
// the whole (small) body decoded at once. It is the oracle for valid
// JSON objects.
func referenceClassify(status int, body []byte) (Result, string) {
	var obj map[string]json.RawMessage
	isJSON := json.Unmarshal(body, &obj) == nil && obj != nil
	jsonStatus, hasStatus := referenceString(obj, "status")
	detail := shorten(jsonStatus)
	if e, ok := referenceString(obj, "error"); ok && e != "" && e != "null" {
		detail = shorten(e)
		if jsonStatus != "" {
			detail = shorten(jsonStatus + ": " + e)
		}
	}
	switch {
	case status >= 200 && status < 300:
		if hasStatus && !strings.EqualFold(jsonStatus, "ok") {
			return Degraded, detail
		}
		return OK, detail
	case status == 503 && !isJSON:
		return Busy, "HTTP 503 without a JSON body"
	case status >= 400 && status < 600 && isJSON:
		return Degraded, orDefault(detail, fmt.Sprintf("HTTP %d", status))
	case status >= 300 && status < 400:
		return Error, fmt.Sprintf("HTTP %d redirect (not followed)", status)
	case status == 0:
		return Error, "no HTTP answer"
	default:
		return Error, fmt.Sprintf("HTTP %d", status)
	}
}

func referenceString(obj map[string]json.RawMessage, key string) (string, bool) {
	raw, ok := obj[key]
	if !ok {
		return "", false
	}
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	return string(raw), true
}

// referenceField is Field as it was: the whole body decoded level by level.
func referenceField(body []byte, path string) (float64, bool) {
	if path == "" {
		return 0, false
	}
	raw := json.RawMessage(body)
	for _, key := range strings.Split(path, ".") {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return 0, false
		}
		next, ok := obj[key]
		if !ok {
			return 0, false
		}
		raw = next
	}
	return number(bytes.TrimSpace(raw))
}
