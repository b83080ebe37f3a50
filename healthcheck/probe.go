package healthcheck

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// maxHeader bounds the response headers a probe accepts.
const maxHeader = 64 << 10

// Outcome is one probe's result.
type Outcome struct {
	Result       Result        `json:"result"`
	Status       int           `json:"status"`           // HTTP status, 0 when there was no HTTP answer
	Duration     time.Duration `json:"duration_ns"`      // from start to body read (or failure)
	At           time.Time     `json:"at,omitzero"`      // probe start
	Heartbeat    float64       `json:"heartbeat"`        // value at the heartbeat field path ...
	HasHeartbeat bool          `json:"has_heartbeat"`    // ... when present and numeric
	Detail       string        `json:"detail,omitempty"` // short: error text, or the JSON "status" / "error" value
	// Reply is what came back, kept as evidence; nil when there was no
	// HTTP answer.
	Reply *Reply `json:"-"`
}

// Probe performs one GET on a fresh TCP connection that is closed
// afterwards, bounded by timeout (connect, headers and body; 0 means ctx
// alone bounds it) and by ctx. Redirects are not followed. The body is
// streamed, at most MaxBody bytes of it, and reading stops as soon as the
// top-level "status" and the heartbeat field are known (see Classify for
// what a body that does not say them within MaxBody is).
// heartbeatField "" skips the lookup.
func Probe(ctx context.Context, url string, timeout time.Duration, heartbeatField string) Outcome {
	start := time.Now()
	status, a, rep, err := get(ctx, url, timeout, heartbeatField)
	o := settle(start, status, a, err)
	o.Reply = rep
	return o
}

// outcome classifies one raw answer, its body already read (and capped),
// to a probe that began at start.
func outcome(start time.Time, status int, body []byte, err error, heartbeatField string) Outcome {
	var a answer
	if err == nil && bodyCounts(status) {
		a = readAnswer(bytes.NewReader(body), MaxBody, status, heartbeatField)
	}
	o := settle(start, status, a, err)
	if err == nil && status != 0 {
		kept := body[:min(len(body), KeptBody)]
		o.Reply = &Reply{Status: status, Header: map[string]string{}, Body: bytes.Clone(kept), Complete: len(kept) == len(body)}
	}
	return o
}

// settle turns what a probe learned into its Outcome.
func settle(start time.Time, status int, a answer, err error) Outcome {
	o := Outcome{Status: status, At: start, Duration: time.Since(start)}
	o.Result, o.Detail = classify(status, a, err)
	if err == nil {
		o.Heartbeat, o.HasHeartbeat = a.heartbeat, a.hasHeartbeat
	}
	return o
}

// bodyCounts reports whether the body of an answer with this HTTP status
// plays a part in its class: 2xx, 4xx and 5xx.
func bodyCounts(status int) bool {
	return (status >= 200 && status < 300) || (status >= 400 && status < 600)
}

// get is the effect: one request on its own Transport, so no connection
// can outlive the probe or be shared with the next one. The body is read
// while the response is open, and only as far as readAnswer needs; what
// was read is kept in the Reply, up to KeptBody bytes.
func get(ctx context.Context, url string, timeout time.Duration, heartbeatField string) (int, answer, *Reply, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, answer{}, nil, fmt.Errorf("build the probe request for %q: %w", url, err)
	}
	req.Header.Set("User-Agent", "hsup-healthcheck")
	req.Header.Set("Accept", "application/json")
	tr := newTransport()
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		// A 3xx is a result to classify, not a hop to take.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, answer{}, nil, err
	}
	defer resp.Body.Close()
	if !bodyCounts(resp.StatusCode) {
		return resp.StatusCode, answer{}, reply(resp, nil), nil
	}
	k := newKeeper(resp.Body)
	a := readAnswer(k, MaxBody, resp.StatusCode, heartbeatField)
	return resp.StatusCode, a, reply(resp, k), nil
}

func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                  nil, // the child is local; never route probes via HTTP_PROXY
		DialContext:            (&net.Dialer{KeepAlive: -1}).DialContext,
		DisableKeepAlives:      true, // one probe, one connection: exercise the accept loop
		DisableCompression:     true,
		MaxResponseHeaderBytes: maxHeader,
	}
}
