package demoapp

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSlowWork(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ms string
		want     time.Duration
		bad      bool
	}{
		{name: "default", ms: "", want: defaultSlow},
		{name: "zero", ms: "0", want: 0},
		{name: "given", ms: "250", want: 250 * time.Millisecond},
		{name: "the most", ms: "10000", want: maxSlow},
		{name: "over the most", ms: "10001", bad: true},
		{name: "negative", ms: "-1", bad: true},
		{name: "not a number", ms: "2s", bad: true},
		{name: "huge", ms: "99999999999999999999", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := slowWork(tc.ms)
			if (err != nil) != tc.bad || got != tc.want {
				t.Errorf("slowWork(%q) = %v, %v; want %v, error %v", tc.ms, got, err, tc.want, tc.bad)
			}
		})
	}
}

// TestSlowEndpoint: GET /slow?ms=N answers after at least N ms; a bad N
// is 400; the request counts on the accept counter like any other.
func TestSlowEndpoint(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	before := a.health(t).AcceptLoop.RequestsTotal
	sent := time.Now()
	resp, body := fresh(t, http.MethodGet, "http://"+a.addr+"/slow?ms=50")
	if took := time.Since(sent); resp.StatusCode != http.StatusOK || string(body) != "slow: 50 ms\n" || took < 50*time.Millisecond {
		t.Errorf("GET /slow?ms=50: status %d body %q after %v; want 200 \"slow: 50 ms\" after at least 50ms", resp.StatusCode, body, took)
	}
	resp, body = fresh(t, http.MethodGet, "http://"+a.addr+"/slow?ms=abc")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "milliseconds") {
		t.Errorf("GET /slow?ms=abc: status %d body %q; want 400 naming milliseconds", resp.StatusCode, body)
	}
	if after := a.health(t).AcceptLoop.RequestsTotal; after != before+3 {
		t.Errorf("requests_total went from %d to %d; want +3 (two /slow, one /health)", before, after)
	}
}
