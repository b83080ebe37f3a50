package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestClassify(t *testing.T) {
	okBody := []byte(`{"status":"ok","accept_loop":{"requests_total":3}}`)
	tests := []struct {
		name       string
		status     int
		body       string
		err        error
		want       Result
		wantDetail string
	}{
		{name: "200 JSON ok", status: 200, body: string(okBody), want: OK, wantDetail: "ok"},
		{name: "200 JSON OK upper case", status: 200, body: `{"status":"OK"}`, want: OK, wantDetail: "OK"},
		{name: "200 JSON with spaces", status: 200, body: " { \"status\" :\t\"ok\" } ", want: OK, wantDetail: "ok"},
		{name: "200 JSON without status", status: 200, body: `{"uptime":3}`, want: OK},
		{name: "200 plain text", status: 200, body: "fine", want: OK},
		{name: "200 empty", status: 200, want: OK},
		{name: "204", status: 204, want: OK},
		{name: "200 JSON array", status: 200, body: `[1,2]`, want: OK},
		{name: "200 JSON status degraded", status: 200, body: `{"status":"degraded"}`, want: Degraded, wantDetail: "degraded"},
		{name: "200 JSON status false", status: 200, body: `{"status":false}`, want: Degraded, wantDetail: "false"},
		{name: "200 JSON status null", status: 200, body: `{"status":null}`, want: Degraded, wantDetail: "null"},
		{name: "503 JSON degraded", status: 503, body: `{"status":"degraded"}`, want: Degraded, wantDetail: "degraded"},
		{name: "503 JSON with error", status: 503, body: `{"status":"degraded","error":"OperationalError"}`,
			want: Degraded, wantDetail: "degraded: OperationalError"},
		{name: "500 JSON without status", status: 500, body: `{"x":1}`, want: Degraded, wantDetail: "HTTP 500"},
		{name: "404 JSON", status: 404, body: `{"error":"not found"}`, want: Degraded, wantDetail: "not found"},
		{name: "503 empty is busy", status: 503, want: Busy, wantDetail: "HTTP 503 without a JSON body"},
		{name: "503 white space is busy", status: 503, body: " \r\n\t", want: Busy},
		// Only a bare 503 is busy: with any body it is degraded, or invalid
		// when the body cannot be read as far as its "status".
		{name: "503 HTML is degraded", status: 503, body: "<html>busy</html>", want: Degraded,
			wantDetail: "HTTP 503 with a body that is not a JSON object"},
		{name: "503 JSON array is degraded", status: 503, body: `[]`, want: Degraded},
		{name: "503 truncated JSON is invalid", status: 503, body: `{"status":"deg`, want: Invalid},
		{name: "503 invalid JSON before status", status: 503, body: `{"a":tru,"status":"degraded"}`, want: Invalid},
		{name: "503 status then invalid JSON", status: 503, body: `{"status":"degraded",oops`, want: Degraded,
			wantDetail: "degraded"},
		{name: "200 truncated JSON is invalid", status: 200, body: `{"details":"x","status":"de`, want: Invalid},
		{name: "200 invalid JSON before status", status: 200, body: `{"a":01,"status":"ok"}`, want: Invalid},
		{name: "200 status ok then invalid JSON", status: 200, body: `{"status":"ok", oops`, want: OK, wantDetail: "ok"},
		{name: "200 status degraded then truncated", status: 200, body: `{"status":"degraded","details":"x`,
			want: Degraded, wantDetail: "degraded"},
		{name: "200 object never closed, no status", status: 200, body: `{"uptime":3`, want: Invalid},
		{name: "200 escaped status key", status: 200, body: `{"st\u0061tus":"degraded"}`, want: Degraded},
		{name: "200 first status counts", status: 200, body: `{"status":"degraded","status":"ok"}`, want: Degraded},
		{name: "200 status string too long", status: 200, body: `{"status":"` + strings.Repeat("o", 5000) + `"}`,
			want: Degraded},
		{name: "200 status after the bound is invalid", status: 200,
			body: `{"details":"` + strings.Repeat("x", MaxBody) + `","status":"ok"}`, want: Invalid},
		{name: "200 status ok before the bound", status: 200,
			body: `{"status":"ok","details":"` + strings.Repeat("x", MaxBody) + `"}`, want: OK},
		{name: "200 status degraded after 70KB", status: 200,
			body: `{"details":"` + strings.Repeat("x", 70<<10) + `","status":"degraded"}`, want: Degraded},
		{name: "503 status degraded after 70KB", status: 503,
			body: `{"details":"` + strings.Repeat("x", 70<<10) + `","status":"degraded","error":"E"}`,
			want: Degraded, wantDetail: "degraded: E"},
		{name: "200 white space past the bound", status: 200, body: strings.Repeat(" ", MaxBody+1), want: Invalid},
		{name: "503 white space past the bound", status: 503, body: strings.Repeat(" ", MaxBody+1), want: Invalid},
		{name: "200 text past the bound", status: 200, body: strings.Repeat("x", MaxBody+1), want: OK},
		{name: "500 truncated JSON", status: 500, body: `{"error":"bo`, want: Invalid},
		{name: "500 JSON error then truncated", status: 500, body: `{"status":"x","error":"boom"`, want: Degraded,
			wantDetail: "x: boom"},
		{name: "500 plain", status: 500, body: "boom", want: Error, wantDetail: "HTTP 500 without a JSON body"},
		{name: "404 empty", status: 404, want: Error},
		{name: "302", status: 302, want: Error, wantDetail: "HTTP 302 redirect (not followed)"},
		{name: "301 with JSON", status: 301, body: `{"status":"ok"}`, want: Error},
		{name: "no status no error", status: 0, want: Error, wantDetail: "no HTTP answer"},
		{name: "1xx", status: 101, want: Error},
		{name: "deadline", err: fmt.Errorf("get: %w", context.DeadlineExceeded), want: Timeout},
		{name: "os deadline", err: os.ErrDeadlineExceeded, want: Timeout},
		{name: "net timeout", err: &net.OpError{Op: "dial", Err: timeoutErr{}}, want: Timeout},
		{name: "deadline wins over status", status: 200, body: "{", err: context.DeadlineExceeded, want: Timeout},
		{name: "refused", err: &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, want: Refused},
		{name: "reset", err: &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, want: Reset},
		{name: "broken pipe", err: &net.OpError{Op: "write", Err: os.NewSyscallError("write", syscall.EPIPE)}, want: Reset},
		{name: "canceled", err: context.Canceled, want: Error},
		{name: "EOF", err: io.ErrUnexpectedEOF, want: Error},
		{name: "other", err: errors.New("malformed HTTP response"), want: Error, wantDetail: "malformed HTTP response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, detail := Classify(tt.status, []byte(tt.body), tt.err)
			if got != tt.want {
				t.Errorf("Classify(%d, %q, %v) = %q, want %q", tt.status, tt.body, tt.err, got, tt.want)
			}
			if tt.wantDetail != "" && detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", detail, tt.wantDetail)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassifyDetailIsShort(t *testing.T) {
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'x'
	}
	_, detail := Classify(503, []byte(`{"status":"`+string(long)+`"}`), nil)
	if len(detail) > maxDetail+3 {
		t.Errorf("detail has %d bytes, want at most %d", len(detail), maxDetail+3)
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		result Result
		want   int
	}{
		{result: OK, want: 0},
		{result: Degraded, want: 1},
		{result: Busy, want: 1},
		{result: Invalid, want: 1},
		{result: Timeout, want: 3},
		{result: Refused, want: 3},
		{result: Reset, want: 3},
		{result: Error, want: 3},
		{result: Result("bogus"), want: 3},
	}
	for _, tt := range tests {
		t.Run(string(tt.result), func(t *testing.T) {
			if got := ExitCode(tt.result); got != tt.want {
				t.Errorf("ExitCode(%q) = %d, want %d", tt.result, got, tt.want)
			}
		})
	}
}
