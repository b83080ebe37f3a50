package demoapp

import (
	"errors"
	"net"
	"net/http"
	"os"
	"reflect"
	"syscall"
	"testing"
	"time"
)

func TestDecideAccept(t *testing.T) {
	t0 := time.Unix(1795342472, 0)
	t1 := t0.Add(time.Second)
	before := acceptStats{Total: 4, Last: t0}
	counted := acceptStats{Total: 5, Last: t1}
	tests := []struct {
		name       string
		switches   switchState
		wantAction acceptAction
		wantStats  acceptStats
	}{
		{name: "all off serves and counts", wantAction: acceptServe, wantStats: counted},
		{name: "hang holds and counts", switches: switchState{Hang: true}, wantAction: acceptHold, wantStats: counted},
		{name: "reset resets and counts", switches: switchState{Reset: true}, wantAction: acceptReset, wantStats: counted},
		{name: "reset wins over hang", switches: switchState{Reset: true, Hang: true}, wantAction: acceptReset, wantStats: counted},
		{name: "freeze serves without counting", switches: switchState{Freeze: true}, wantAction: acceptServe, wantStats: before},
		{name: "freeze with hang", switches: switchState{Freeze: true, Hang: true}, wantAction: acceptHold, wantStats: before},
		{name: "busy and deep do not change accepting", switches: switchState{Busy: true, Deep: true}, wantAction: acceptServe, wantStats: counted},
		{name: "emfile counted before the accept, not again", switches: switchState{EMFile: true}, wantAction: acceptServe, wantStats: before},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			action, stats := decideAccept(tt.switches, before, t1)
			if action != tt.wantAction || stats != tt.wantStats {
				t.Errorf("decideAccept = %v, %+v; want %v, %+v", action, stats, tt.wantAction, tt.wantStats)
			}
		})
	}
}

func TestSwitchState(t *testing.T) {
	tests := []struct {
		name   string
		start  switchState
		turnOn string
		wantOK bool
		wantOn []string
		healed []string
	}{
		{name: "nothing on", turnOn: "", wantOK: false, wantOn: []string{}, healed: []string{}},
		{name: "noaccept", turnOn: "noaccept", wantOK: true, wantOn: []string{"noaccept"}, healed: []string{"noaccept"}},
		{name: "hang", turnOn: "hang", wantOK: true, wantOn: []string{"hang"}, healed: []string{"hang"}},
		{name: "reset", turnOn: "reset", wantOK: true, wantOn: []string{"reset"}, healed: []string{"reset"}},
		{name: "deep", turnOn: "deep", wantOK: true, wantOn: []string{"deep"}, healed: []string{}},
		{name: "freeze", turnOn: "freeze", wantOK: true, wantOn: []string{"freeze"}, healed: []string{}},
		{name: "busy", turnOn: "busy", wantOK: true, wantOn: []string{"busy"}, healed: []string{}},
		{name: "turning on twice is a no-op", start: switchState{Busy: true}, turnOn: "busy", wantOK: true,
			wantOn: []string{"busy"}, healed: []string{}},
		{name: "order is fixed", start: switchState{Busy: true, Hang: true}, turnOn: "deep", wantOK: true,
			wantOn: []string{"hang", "deep", "busy"}, healed: []string{"hang"}},
		{name: "emfile stays on through heal", start: switchState{Busy: true}, turnOn: "emfile", wantOK: true,
			wantOn: []string{"busy", "emfile"}, healed: []string{"emfile"}},
		{name: "leak is an action, not a switch", turnOn: "leak", wantOK: false, wantOn: []string{}, healed: []string{}},
		{name: "heal is an action, not a switch", start: switchState{Deep: true}, turnOn: "heal", wantOK: false,
			wantOn: []string{"deep"}, healed: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.start.turnOn(tt.turnOn)
			if ok != tt.wantOK {
				t.Errorf("turnOn(%q) ok = %v, want %v", tt.turnOn, ok, tt.wantOK)
			}
			if !reflect.DeepEqual(got.on(), tt.wantOn) {
				t.Errorf("on() = %q, want %q", got.on(), tt.wantOn)
			}
			if h := got.healed().on(); !reflect.DeepEqual(h, tt.healed) {
				t.Errorf("healed().on() = %q, want %q", h, tt.healed)
			}
		})
	}
}

// TestCountAttempt: with emfile on, every call of accept counts before the
// kernel is asked, as the WebUI's socketserver counts; freeze still stops it.
func TestCountAttempt(t *testing.T) {
	t0 := time.Unix(1795342472, 0)
	before := acceptStats{Total: 4, Last: t0}
	counted := acceptStats{Total: 5, Last: t0.Add(time.Second)}
	tests := []struct {
		name     string
		switches switchState
		want     acceptStats
	}{
		{name: "off: accept counts later", want: before},
		{name: "emfile counts", switches: switchState{EMFile: true}, want: counted},
		{name: "emfile and freeze", switches: switchState{EMFile: true, Freeze: true}, want: before},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := countAttempt(tt.switches, before, t0.Add(time.Second)); got != tt.want {
				t.Errorf("countAttempt = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSwallows: only emfile swallows, and only running out of descriptors.
func TestSwallows(t *testing.T) {
	wrapped := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	tests := []struct {
		name     string
		switches switchState
		err      error
		want     bool
	}{
		{name: "emfile swallows EMFILE as accept returns it", switches: switchState{EMFile: true}, err: wrapped, want: true},
		{name: "emfile swallows ENFILE", switches: switchState{EMFile: true}, err: syscall.ENFILE, want: true},
		{name: "emfile passes a closed listener on", switches: switchState{EMFile: true}, err: net.ErrClosed},
		{name: "without emfile EMFILE goes to the server", err: wrapped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := swallows(tt.switches, tt.err); got != tt.want {
				t.Errorf("swallows(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestIsDeep(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"1", true}, {"true", true}, {"yes", true}, {"on", true}, {"TRUE", true}, {" on ", true},
		{"", false}, {"0", false}, {"false", false}, {"no", false}, {"off", false}, {"2", false},
	}
	for _, tt := range tests {
		t.Run("deep="+tt.value, func(t *testing.T) {
			if got := isDeep(tt.value); got != tt.want {
				t.Errorf("isDeep(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    int
		wantErr bool
	}{
		{name: "empty gives default", value: "", want: 300},
		{name: "plain", value: "25", want: 25},
		{name: "low bound", value: "1", want: 1},
		{name: "high bound", value: "65536", want: 65536},
		{name: "below", value: "0", wantErr: true},
		{name: "above", value: "65537", wantErr: true},
		{name: "negative", value: "-3", wantErr: true},
		{name: "not a number", value: "many", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCount(tt.value, defaultLeak, 1, maxLeak)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseCount(%q) = %d, %v; want %d, error %v", tt.value, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestReport(t *testing.T) {
	started := time.Unix(1795342472, 90_000_000)
	now := started.Add(8700 * time.Millisecond)
	last := started.Add(8 * time.Second)
	lastEpoch := 1795342480.09
	ok := check{Status: "ok"}
	tests := []struct {
		name       string
		stats      acceptStats
		deep       bool
		deepSwitch bool
		dbErr      error
		wantStatus string
		wantCode   int
		wantDB     *check
		wantLast   *float64
	}{
		{name: "cheap before any accept", wantStatus: "ok", wantCode: http.StatusOK},
		{name: "cheap", stats: acceptStats{Total: 3, Last: last}, wantStatus: "ok", wantCode: http.StatusOK, wantLast: &lastEpoch},
		{name: "cheap ignores the deep switch", deepSwitch: true, wantStatus: "ok", wantCode: http.StatusOK},
		{name: "deep ok", deep: true, wantStatus: "ok", wantCode: http.StatusOK, wantDB: &check{Status: "ok", MS: 0.4}},
		{name: "deep switch", deep: true, deepSwitch: true, wantStatus: "degraded", wantCode: http.StatusServiceUnavailable,
			wantDB: &check{Status: "error", Error: "OperationalError", MS: 0.4}},
		{name: "state.db missing", deep: true, dbErr: errors.New("no such file"), wantStatus: "degraded",
			wantCode: http.StatusServiceUnavailable, wantDB: &check{Status: "error", Error: "OperationalError", MS: 0.4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cheapReport(started, now, 42, tt.stats)
			if tt.deep {
				r = withDeep(r, tt.deepSwitch, tt.dbErr, 400*time.Microsecond)
			}
			if r.Status != tt.wantStatus || statusCode(r) != tt.wantCode {
				t.Errorf("status %q code %d, want %q %d", r.Status, statusCode(r), tt.wantStatus, tt.wantCode)
			}
			if r.ServerStartedAt != 1795342472.09 || r.UptimeSeconds != 8.7 || r.PID != 42 {
				t.Errorf("started %v uptime %v pid %d, want 1795342472.09 8.7 42", r.ServerStartedAt, r.UptimeSeconds, r.PID)
			}
			if r.AcceptLoop.RequestsTotal != tt.stats.Total || !reflect.DeepEqual(r.AcceptLoop.LastRequestAt, tt.wantLast) {
				t.Errorf("accept_loop %+v, want total %d last %v", r.AcceptLoop, tt.stats.Total, tt.wantLast)
			}
			if tt.wantDB == nil {
				if r.Checks != nil {
					t.Errorf("cheap report has checks %+v", r.Checks)
				}
				return
			}
			want := deepChecks{StreamsLock: ok, StreamRuntime: ok, Sessions: ok, Projects: ok, StateDB: *tt.wantDB}
			if r.Checks == nil || *r.Checks != want {
				t.Errorf("checks = %+v, want %+v", r.Checks, want)
			}
		})
	}
}
