package healthcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Result is the class of one probe's result.
type Result string

// The probe result classes. See Classify for the exact rules.
const (
	OK       Result = "ok"       // 2xx, and a JSON "status" (if any) says ok
	Degraded Result = "degraded" // the app answered and says it is unhealthy (a 503 with any body)
	Busy     Result = "busy"     // a bare 503, no body: all workers busy
	Invalid  Result = "invalid"  // the body could not be read as far as the verdict needs: broken, truncated, too long
	Timeout  Result = "timeout"  // no complete answer within the timeout
	Refused  Result = "refused"  // nothing listens on the port
	Reset    Result = "reset"    // the connection was reset
	// HsupError: the probe could not be made because hsup itself was short
	// of a resource (descriptors, memory, buffers); it says nothing about
	// the child and never counts against it.
	HsupError Result = "hsup_error"
	Error     Result = "error" // anything else: 3xx, 4xx/5xx without JSON, bad HTTP
)

// maxDetail bounds Outcome.Detail: it goes into log lines and summary.json.
const maxDetail = 200

// Classify maps one probe's raw result to its class and a short detail.
// status is the HTTP status (0 when there was no HTTP answer), body the
// response body (a probe streams it; Classify reads at most MaxBody of
// it) and err the transport error, if any. A transport error wins over a
// status: a body cut off by the timeout is a timeout even though the
// headers said 200.
//
// A body past MaxBody never makes a verdict better than its head says:
//   - A body whose first non-space byte is '{' is held to JSON. Its
//     top-level "status" is looked for wherever it is (the first one
//     counts); a body that is invalid JSON, ends early or goes past
//     MaxBody before its "status" is known is Invalid. In a 2xx answer
//     whose status is "ok" the heartbeat field (Probe's heartbeatField)
//     is needed too: cut off before it, the answer is Invalid, not an ok
//     that would silently turn the heartbeat check off.
//   - 2xx: Degraded when the status is not "ok" (case aside), else OK. A
//     body that is not a JSON object (text, an array, nothing) is OK.
//   - 503: Busy only when bare (no body, or white space only); with any
//     other body Degraded, or Invalid when the body cannot be read.
//   - Other 4xx/5xx: Degraded with a JSON object, else Error.
//   - 3xx and anything else: Error.
//
// The detail is the error text, or the JSON "status" (plus "error" when
// present) for answers that carry them.
func Classify(status int, body []byte, err error) (Result, string) {
	var a answer
	if err == nil && bodyCounts(status) {
		a = readAnswer(bytes.NewReader(body), MaxBody, status, "")
	}
	return classify(status, a, err)
}

// classify is Classify on what readAnswer learned from the body.
func classify(status int, a answer, err error) (Result, string) {
	switch {
	case err != nil:
		return classifyErr(err)
	case status == 0:
		return Error, "no HTTP answer"
	case status >= 300 && status < 400:
		return Error, fmt.Sprintf("HTTP %d redirect (not followed)", status)
	case !bodyCounts(status):
		return Error, fmt.Sprintf("HTTP %d", status)
	}
	if r, detail, bad := unreadable(status, a); bad {
		return r, detail
	}
	object := a.first == '{'
	switch {
	case status < 300:
		if a.hasStatus && !a.statusOK() {
			return Degraded, a.detail()
		}
		return OK, a.detail()
	case object:
		return Degraded, orDefault(a.detail(), fmt.Sprintf("HTTP %d", status))
	case status == 503 && !a.opened:
		return Busy, "HTTP 503 without a JSON body"
	case status == 503:
		return Degraded, "HTTP 503 with a body that is not a JSON object"
	default:
		return Error, fmt.Sprintf("HTTP %d without a JSON body", status)
	}
}

// unreadable classifies an answer whose body stopped (a fault) before it
// said what the verdict needs: Invalid, or the transport's class when the
// read itself failed (a timeout, a reset).
func unreadable(status int, a answer) (Result, string, bool) {
	switch {
	case a.first == '{' && a.known():
		return "", "", false // a fault after the verdict was known does not change it
	case a.opened && a.first != '{':
		return "", "", false // not a JSON object: read no further than its first byte
	case !a.opened && a.fault == nil:
		return "", "", false // empty
	}
	fault := a.fault
	if fault == nil {
		fault = errTruncated // not reached: a scan stops short of known only on a fault
	}
	if !bodyFault(fault) {
		if r, detail := classifyErr(fault); r != Error || errors.Is(fault, context.Canceled) {
			return r, detail, true
		}
	}
	missing := `"status"`
	if a.hasStatus {
		missing = "the heartbeat field"
	}
	return Invalid, shorten(fmt.Sprintf("HTTP %d: body unreadable before %s: %v", status, missing, fault)), true
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
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.ENOBUFS),
		errors.Is(err, syscall.ENOMEM):
		return HsupError, detail
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused, detail
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		return Reset, detail
	default:
		return Error, detail
	}
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
// 1 degraded, busy or invalid (the app answered, not healthily), 3 no
// usable answer.
func ExitCode(r Result) int {
	switch r {
	case OK:
		return 0
	case Degraded, Busy, Invalid:
		return 1
	default:
		return 3
	}
}
