package healthcheck

import (
	"bytes"
	"math"
	"strconv"
)

// Field looks up a dotted path ("accept_loop.requests_total") in a JSON
// body and returns its value when it is a finite JSON number. It reads the
// body as Probe does, as a stream, and stops at the field: a value found
// before the body breaks off counts, and the first of duplicate keys
// counts. It is pure and safe on any input: invalid JSON, absurd nesting
// (deeper than encoding/json's limit) and numbers beyond float64 (or
// longer than 1 KiB) all yield (0, false).
func Field(body []byte, path string) (float64, bool) {
	if path == "" {
		return 0, false
	}
	a := readAnswer(bytes.NewReader(body), int64(len(body)), 200, path)
	return a.heartbeat, a.hasHeartbeat
}

// number parses a JSON number's text; anything else, such as a quoted
// "42", is not a counter.
func number(raw []byte) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}
