package healthcheck

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// MaxBody caps how much of a response body a probe reads.
const MaxBody = 64 << 10

// Outcome is one probe's result.
type Outcome struct {
	Result       Result        `json:"result"`
	Status       int           `json:"status"`           // HTTP status, 0 when there was no HTTP answer
	Duration     time.Duration `json:"duration_ns"`      // from start to body read (or failure)
	At           time.Time     `json:"at"`               // probe start
	Heartbeat    float64       `json:"heartbeat"`        // value at the heartbeat field path ...
	HasHeartbeat bool          `json:"has_heartbeat"`    // ... when present and numeric
	Detail       string        `json:"detail,omitempty"` // short: error text, or the JSON "status" / "error" value
}

// Probe performs one GET on a fresh TCP connection that is closed
// afterwards, bounded by timeout (connect, headers and body; 0 means ctx
// alone bounds it) and by ctx. Redirects are not followed and at most
// MaxBody bytes of the body are read. heartbeatField "" skips the lookup.
func Probe(ctx context.Context, url string, timeout time.Duration, heartbeatField string) Outcome {
	start := time.Now()
	status, body, err := get(ctx, url, timeout)
	return outcome(start, status, body, err, heartbeatField)
}

// outcome classifies one raw answer to a probe that began at start.
func outcome(start time.Time, status int, body []byte, err error, heartbeatField string) Outcome {
	o := Outcome{Status: status, At: start, Duration: time.Since(start)}
	o.Result, o.Detail = Classify(status, body, err)
	if heartbeatField != "" && err == nil {
		o.Heartbeat, o.HasHeartbeat = Field(body, heartbeatField)
	}
	return o
}

// get is the effect: one request on its own Transport, so no connection
// can outlive the probe or be shared with the next one.
func get(ctx context.Context, url string, timeout time.Duration) (int, []byte, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("build the probe request for %q: %w", url, err)
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
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	return resp.StatusCode, body, err
}

func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                  nil, // the child is local; never route probes via HTTP_PROXY
		DialContext:            (&net.Dialer{KeepAlive: -1}).DialContext,
		DisableKeepAlives:      true, // one probe, one connection: exercise the accept loop
		DisableCompression:     true,
		MaxResponseHeaderBytes: MaxBody,
	}
}
