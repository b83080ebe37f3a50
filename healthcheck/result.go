package healthcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

// Result is the class of one probe's result.
type Result string

// The probe result classes. See Classify for the exact rules.
const (
	OK       Result = "ok"       // 2xx, and a JSON "status" (if any) says ok
	Degraded Result = "degraded" // the app answered and says it is unhealthy
	Busy     Result = "busy"     // 503 without a JSON body: all workers busy
	Timeout  Result = "timeout"  // no complete answer within the timeout
	Refused  Result = "refused"  // nothing listens on the port
	Reset    Result = "reset"    // the connection was reset
	Error    Result = "error"    // anything else: 3xx, 4xx/5xx without JSON, bad HTTP
)

// maxDetail bounds Outcome.Detail: it goes into log lines and summary.json.
const maxDetail = 200

// Classify maps one probe's raw result to its class and a short detail.
// status is the HTTP status (0 when there was no HTTP answer), body the
// (already capped) response body and err the transport error, if any. A
// transport error wins over a status: a body cut off by the timeout is a
// timeout even though the headers said 200.
//
// A "JSON body" is a JSON object. The detail is the error text, or the
// JSON "status" (plus "error" when present) for answers that carry them.
func Classify(status int, body []byte, err error) (Result, string) {
	if err != nil {
		return classifyErr(err)
	}
	obj, isJSON := jsonObject(body)
	jsonStatus, hasStatus := stringField(obj, "status")
	detail := jsonDetail(obj)
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
		return Error, fmt.Sprintf("HTTP %d without a JSON body", status)
	}
}

// classifyErr sorts transport errors. Cancellation is checked first so a
// probe aborted by its caller is never mistaken for a slow server.
func classifyErr(err error) (Result, string) {
	detail := shorten(err.Error())
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return Error, detail
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return Timeout, detail
	case errors.As(err, &netErr) && netErr.Timeout():
		return Timeout, detail
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused, detail
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		return Reset, detail
	default:
		return Error, detail
	}
}

// jsonObject decodes body as a JSON object. encoding/json bounds nesting
// depth, so hostile bodies fail cleanly instead of exhausting the stack.
func jsonObject(body []byte) (map[string]json.RawMessage, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, false
	}
	return obj, true
}

// stringField returns a top-level value as text: strings unquoted, any
// other JSON value verbatim (so {"status": false} is not mistaken for ok).
func stringField(obj map[string]json.RawMessage, key string) (string, bool) {
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

func jsonDetail(obj map[string]json.RawMessage) string {
	status, _ := stringField(obj, "status")
	if e, ok := stringField(obj, "error"); ok && e != "" && e != "null" {
		if status == "" {
			return shorten(e)
		}
		return shorten(status + ": " + e)
	}
	return shorten(status)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func shorten(s string) string {
	if len(s) <= maxDetail {
		return s
	}
	return s[:maxDetail] + "..."
}

// ExitCode maps a result to the exit status of `hsup check`: 0 ok,
// 1 degraded or busy (the app answered), 3 no usable answer.
func ExitCode(r Result) int {
	switch r {
	case OK:
		return 0
	case Degraded, Busy:
		return 1
	default:
		return 3
	}
}
