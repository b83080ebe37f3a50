package healthcheck

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Field looks up a dotted path ("accept_loop.requests_total") in a JSON
// body and returns its value when it is a finite JSON number. It is pure
// and safe on any input: invalid JSON, absurd nesting (encoding/json caps
// the depth) and numbers beyond float64 all yield (0, false).
func Field(body []byte, path string) (float64, bool) {
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
	return number(raw)
}

// number accepts a JSON number only: a quoted "42" is not a counter.
func number(raw json.RawMessage) (float64, bool) {
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
