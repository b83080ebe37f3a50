package hooks

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

func TestPayload(t *testing.T) {
	when := time.Date(2025, 1, 2, 3, 4, 5, 678e6, time.UTC)
	tests := []struct {
		name string
		e    Event
		want string
	}{
		{name: "degraded with its bundle",
			e:    Event{Event: Degraded, Name: "web", Reason: "health", Sentence: "3 probes failed", Pid: 42, Bundle: "/b/1", Restarts: 0, Time: when},
			want: `{"event":"degraded","name":"web","reason":"health","sentence":"3 probes failed","pid":42,"bundle":"/b/1","restarts":0,"time":"2025-01-02T03:04:05.678Z"}`},
		{name: "unknown pid, bundle and code are absent, not zero",
			e:    Event{Event: GaveUp, Name: "web", Reason: "exit", Sentence: "gave up", Restarts: 3, Time: when},
			want: `{"event":"gave_up","name":"web","reason":"exit","sentence":"gave up","restarts":3,"time":"2025-01-02T03:04:05.678Z"}`},
		{name: "status 0 is a status",
			e:    Event{Event: Restarted, Name: "web", Reason: "exit", Sentence: "exited", Pid: 7, Restarts: 1, Code: code(0), Time: when},
			want: `{"event":"restarted","name":"web","reason":"exit","sentence":"exited","pid":7,"restarts":1,"code":0,"time":"2025-01-02T03:04:05.678Z"}`},
		{name: "a sentence with quotes and a newline stays one line",
			e:    Event{Event: Degraded, Name: "web", Reason: "deep", Sentence: "check \"db\"\nfailed", Time: when},
			want: `{"event":"degraded","name":"web","reason":"deep","sentence":"check \"db\"\nfailed","restarts":0,"time":"2025-01-02T03:04:05.678Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.e.Payload())
			if got != tt.want+"\n" {
				t.Errorf("payload\n got %s\nwant %s", got, tt.want)
			}
			var back Event
			if err := json.Unmarshal([]byte(got), &back); err != nil || back.Event != tt.e.Event || !back.Time.Equal(tt.e.Time) {
				t.Errorf("round trip: %+v, %v", back, err)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name string
		e    Event
		want []string
	}{
		{name: "all set", e: Event{Event: Degraded, Name: "web", Reason: "health", Bundle: "/b/1"},
			want: []string{"PATH=/bin", "HSUP_EVENT=degraded", "HSUP_NAME=web", "HSUP_REASON=health", "HSUP_BUNDLE=/b/1"}},
		{name: "no bundle is set and empty (set -u)", e: Event{Event: CrashLoop, Name: "web", Reason: "exit"},
			want: []string{"PATH=/bin", "HSUP_EVENT=crash_loop", "HSUP_NAME=web", "HSUP_REASON=exit", "HSUP_BUNDLE="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Env([]string{"PATH=/bin"}); !slices.Equal(got, tt.want) {
				t.Errorf("Env = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEnviron(t *testing.T) {
	in := []string{"PATH=/bin", "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=1000", "WATCHDOG_PID=1",
		"HSUP_EVENT=stale", "HSUP_BUNDLE=/old", "HSUP_NAME=x", "HSUP_REASON=y", "HSUP_ON_EVENT=/bin/hook", "NTFY_URL=http://x", "A=b=c"}
	want := []string{"PATH=/bin", "HSUP_ON_EVENT=/bin/hook", "NTFY_URL=http://x", "A=b=c"}
	if got := Environ(in); !slices.Equal(got, want) {
		t.Errorf("Environ = %q, want %q", got, want)
	}
}

func TestSentence(t *testing.T) {
	tests := []struct {
		reason, detail string
		code           int
		known          bool
		want           string
	}{
		{"health", "3 probes failed", 0, false, "3 probes failed"},
		{"exit", "", 3, true, "the child exited with status 3"},
		{"exit", "", 0, true, "the child exited with status 0"},
		{"exit", "", 143, true, "the child was killed by signal 15 (status 143)"},
		{"exit", "", 0, false, "the child exited"},
		{"exit", `program "/a" not found`, 127, true, `program "/a" not found`},
		{"busy", "", 0, false, "the child was judged degraded (busy)"},
		{"", "", 0, false, "no reason was given"},
	}
	for _, tt := range tests {
		if got := sentence(tt.reason, tt.detail, tt.code, tt.known); got != tt.want {
			t.Errorf("sentence(%q, %q, %d, %v) = %q, want %q", tt.reason, tt.detail, tt.code, tt.known, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	exitErr := fmt.Errorf("hook /h: %w", &exec.ExitError{ProcessState: &os.ProcessState{}})
	tests := []struct {
		name        string
		err, ctxErr error
		want        string
	}{
		{"exit 0", nil, nil, ResultOK},
		{"exit 0 just before the bound expired", nil, context.DeadlineExceeded, ResultOK},
		{"exit 0, a leftover held the output", exec.ErrWaitDelay, nil, ResultOK},
		{"exit 1", exitErr, nil, ResultFailed},
		{"killed at its bound", exitErr, context.DeadlineExceeded, ResultTimeout},
		{"killed at hsup's exit", context.Canceled, context.Canceled, ResultTimeout},
		{"could not start", fmt.Errorf("start hook /h: %w", fs.ErrNotExist), nil, ResultError},
	}
	for _, tt := range tests {
		if got := classify(tt.err, tt.ctxErr); got != tt.want {
			t.Errorf("%s: classify = %s, want %s", tt.name, got, tt.want)
		}
	}
}
