package hooks

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hsup/hsup/supervise"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func code(c int) *int { return &c }

const probesFailed = "3 cheap probes in a row failed: connection refused"

// healthRestart is a health verdict, its bundle, the stop, the restart and
// the replacement's first ok probe.
func healthRestart(dir string) []supervise.Event {
	return []supervise.Event{
		supervise.ChildStarted{At: at(0), Pid: 10},
		supervise.ChildHealthy{At: at(1), Pid: 10},
		supervise.ChildDegraded{At: at(2), Pid: 10, Reason: "health", Detail: probesFailed},
		supervise.CaptureStarted{At: at(2), Pid: 10, Reason: "health", Restart: true},
		supervise.CaptureFinished{At: at(3), Pid: 10, Reason: "health", Restart: true, Dir: dir},
		supervise.ChildStopping{At: at(3), Pid: 10, Reason: "health"},
		supervise.ChildExited{At: at(4), Pid: 10, Code: 143, Reason: "health"},
		supervise.BackingOff{At: at(4), Restarts: 1, Attempt: 1, Reason: "health", Detail: probesFailed},
		supervise.ChildStarted{At: at(5), Pid: 11, Restart: true},
		supervise.ChildHealthy{At: at(6), Pid: 11},
	}
}

// crash is a child that exits with status c by itself and its restart.
func crash(pid, c, restarts int, from int) []supervise.Event {
	return []supervise.Event{
		supervise.ChildExited{At: at(from), Pid: pid, Code: c, Reason: supervise.ReasonExit},
		supervise.BackingOff{At: at(from), Restarts: restarts, Attempt: restarts, Reason: supervise.ReasonExit},
		supervise.ChildStarted{At: at(from + 1), Pid: pid + 1, Restart: true},
	}
}

func concat(seqs ...[]supervise.Event) []supervise.Event {
	var out []supervise.Event
	for _, s := range seqs {
		out = append(out, s...)
	}
	return out
}

func TestTracker(t *testing.T) {
	const b = "/state/web/bundles/20250102T030407Z-pid10-health"
	exited3 := "the child exited with status 3"
	tests := []struct {
		name   string
		probed bool
		events []supervise.Event
		want   []Event
	}{
		{name: "health restart: degraded with its bundle, restarted, recovered", probed: true, events: healthRestart(b),
			want: []Event{
				{Event: Degraded, Reason: "health", Sentence: probesFailed, Pid: 10, Bundle: b, Time: at(2)},
				{Event: Restarted, Reason: "health", Sentence: probesFailed, Pid: 11, Bundle: b, Restarts: 1, Code: code(143), Time: at(5)},
				{Event: Recovered, Reason: "health", Sentence: probesFailed, Pid: 11, Bundle: b, Restarts: 1, Time: at(6)},
			}},
		{name: "no bundle (port_held, captures off): degraded at the stop", probed: true, events: []supervise.Event{
			supervise.ChildStarted{At: at(0), Pid: 10},
			supervise.ChildDegraded{At: at(1), Pid: 10, Reason: "port_held", Detail: "another process holds the port"},
			supervise.ChildStopping{At: at(1), Pid: 10, Reason: "port_held"},
		}, want: []Event{{Event: Degraded, Reason: "port_held", Sentence: "another process holds the port", Pid: 10, Time: at(1)}}},
		{name: "a warning bundle before the verdict is not the verdict's", probed: true, events: []supervise.Event{
			supervise.ChildStarted{At: at(0), Pid: 10},
			supervise.CaptureStarted{At: at(1), Pid: 10, Reason: "fd_pressure"},
			supervise.ChildDegraded{At: at(2), Pid: 10, Reason: "deep", Detail: "deep check state_db failed"},
			supervise.CaptureFinished{At: at(3), Pid: 10, Reason: "fd_pressure", Dir: "/w"},
			supervise.CaptureStarted{At: at(3), Pid: 10, Reason: "deep", Restart: true},
			supervise.CaptureFinished{At: at(4), Pid: 10, Reason: "deep", Restart: true, Dir: b},
		}, want: []Event{{Event: Degraded, Reason: "deep", Sentence: "deep check state_db failed", Pid: 10, Bundle: b, Time: at(2)}}},
		{name: "abandoned capture: degraded without a bundle", probed: true, events: []supervise.Event{
			supervise.ChildDegraded{At: at(2), Pid: 10, Reason: "heartbeat", Detail: "stale"},
			supervise.CaptureFinished{At: at(12), Pid: 10, Reason: "heartbeat", Restart: true, Abandoned: true},
			supervise.ChildStopping{At: at(12), Pid: 10, Reason: "heartbeat"},
		}, want: []Event{{Event: Degraded, Reason: "heartbeat", Sentence: "stale", Pid: 10, Time: at(2)}}},
		{name: "the judged child exits during its capture: degraded then, the late bundle goes with the restart", probed: true,
			events: []supervise.Event{
				supervise.ChildDegraded{At: at(2), Pid: 10, Reason: "busy", Detail: "12 bare 503s"},
				supervise.ChildExited{At: at(3), Pid: 10, Code: 1, Reason: "busy"},
				supervise.CaptureFinished{At: at(3), Pid: 10, Reason: "busy", Restart: true, Dir: b},
				supervise.BackingOff{At: at(3), Restarts: 1, Reason: "busy", Detail: "12 bare 503s"},
				supervise.ChildStarted{At: at(4), Pid: 11, Restart: true},
			}, want: []Event{
				{Event: Degraded, Reason: "busy", Sentence: "12 bare 503s", Pid: 10, Time: at(2)},
				{Event: Restarted, Reason: "busy", Sentence: "12 bare 503s", Pid: 11, Bundle: b, Restarts: 1, Code: code(1), Time: at(4)},
			}},
		{name: "crash: restarted with the status, recovered", probed: true, events: concat(
			[]supervise.Event{supervise.ChildStarted{At: at(0), Pid: 10}, supervise.ChildHealthy{At: at(0), Pid: 10}},
			crash(10, 3, 1, 5), []supervise.Event{supervise.ChildHealthy{At: at(7), Pid: 11}}),
			want: []Event{
				{Event: Restarted, Reason: "exit", Sentence: exited3, Pid: 11, Restarts: 1, Code: code(3), Time: at(6)},
				{Event: Recovered, Reason: "exit", Sentence: exited3, Pid: 11, Restarts: 1, Time: at(7)},
			}},
		{name: "killed by a signal", probed: true, events: crash(10, 137, 1, 0), want: []Event{
			{Event: Restarted, Reason: "exit", Sentence: "the child was killed by signal 9 (status 137)", Pid: 11, Restarts: 1, Code: code(137), Time: at(1)},
		}},
		{name: "a clean exit restarted (--restart=always) is no trouble: no recovered", probed: true,
			events: concat(crash(10, 0, 1, 0), []supervise.Event{supervise.ChildHealthy{At: at(2), Pid: 11}}),
			want:   []Event{{Event: Restarted, Reason: "exit", Sentence: "the child exited with status 0", Pid: 11, Restarts: 1, Code: code(0), Time: at(1)}}},
		{name: "without a health probe nothing proves recovery", probed: false,
			events: concat(crash(10, 3, 1, 0), []supervise.Event{supervise.ChildHealthy{At: at(1), Pid: 11}}),
			want:   []Event{{Event: Restarted, Reason: "exit", Sentence: exited3, Pid: 11, Restarts: 1, Code: code(3), Time: at(1)}}},
		{name: "manual restart: restarted only, with its bundle", probed: true, events: []supervise.Event{
			supervise.ChildStarted{At: at(0), Pid: 10},
			supervise.ChildHealthy{At: at(0), Pid: 10},
			supervise.ChildDegraded{At: at(1), Pid: 10, Reason: "manual", Detail: "an operator asked"},
			supervise.CaptureFinished{At: at(2), Pid: 10, Reason: "manual", Restart: true, Dir: b},
			supervise.ChildStopping{At: at(2), Pid: 10, Reason: "manual"},
			supervise.ChildExited{At: at(3), Pid: 10, Code: 143, Reason: "manual"},
			supervise.BackingOff{At: at(3), Restarts: 1, Reason: "manual", Detail: "an operator asked"},
			supervise.ChildStarted{At: at(4), Pid: 11, Restart: true},
			supervise.ChildHealthy{At: at(5), Pid: 11},
		}, want: []Event{{Event: Restarted, Reason: "manual", Sentence: "an operator asked", Pid: 11, Bundle: b, Restarts: 1, Code: code(143), Time: at(4)}}},
		{name: "a failed start: restarted with 127 and the start error", probed: true, events: []supervise.Event{
			supervise.StartFailed{At: at(1), Code: 127, Err: errors.New(`program "/app" not found`)},
			supervise.BackingOff{At: at(1), Restarts: 1, Reason: "exit", Detail: `program "/app" not found`},
			supervise.ChildStarted{At: at(2), Pid: 12, Restart: true},
			supervise.ChildHealthy{At: at(3), Pid: 12},
		}, want: []Event{
			{Event: Restarted, Reason: "exit", Sentence: `program "/app" not found`, Pid: 12, Restarts: 1, Code: code(127), Time: at(2)},
			{Event: Recovered, Reason: "exit", Sentence: `program "/app" not found`, Pid: 12, Restarts: 1, Time: at(3)},
		}},
		{name: "crash loop (one alert: no restarted in it), then giving up", probed: false, events: concat(crash(10, 3, 1, 0),
			[]supervise.Event{
				supervise.ChildExited{At: at(2), Pid: 11, Code: 3, Reason: supervise.ReasonExit},
				supervise.CrashLoop{At: at(2), Restarts: 2, Reason: "exit", Code: 3},
				supervise.BackingOff{At: at(2), Restarts: 2, Reason: "exit"},
				supervise.ChildStarted{At: at(3), Pid: 12, Restart: true},
				supervise.ChildExited{At: at(4), Pid: 12, Code: 3, Reason: supervise.ReasonExit},
				supervise.GaveUp{At: at(4), Restarts: 2, Reason: "exit", Code: 3},
				supervise.Exiting{At: at(4), Code: 69},
			}),
			want: []Event{
				{Event: Restarted, Reason: "exit", Sentence: exited3, Pid: 11, Restarts: 1, Code: code(3), Time: at(1)},
				{Event: CrashLoop, Reason: "exit", Sentence: "2 restarts in a row without a healthy run; the last: " + exited3,
					Pid: 11, Restarts: 2, Code: code(3), Time: at(2)},
				{Event: GaveUp, Reason: "exit", Sentence: "gave up after 2 restarts in a row without a healthy run (hsup exits 69); the last: " + exited3,
					Pid: 12, Restarts: 2, Code: code(3), Time: at(4)},
			}},
		{name: "in a loop no degraded; a reset streak (attempt 1) ends it", probed: true, events: []supervise.Event{
			supervise.CrashLoop{At: at(1), Restarts: 2, Reason: "exit", Code: 3},
			supervise.BackingOff{At: at(1), Restarts: 2, Attempt: 2, Reason: "exit"},
			supervise.ChildStarted{At: at(2), Pid: 12, Restart: true},
			supervise.ChildDegraded{At: at(3), Pid: 12, Reason: "startup", Detail: "no ok probe"},
			supervise.ChildStopping{At: at(3), Pid: 12, Reason: "startup"},
			supervise.ChildExited{At: at(4), Pid: 12, Code: 143, Reason: "startup"},
			supervise.BackingOff{At: at(4), Restarts: 3, Attempt: 1, Reason: "startup", Detail: "no ok probe"},
			supervise.ChildStarted{At: at(5), Pid: 13, Restart: true},
		}, want: []Event{
			{Event: CrashLoop, Reason: "exit", Sentence: "2 restarts in a row without a healthy run; the last: the child exited with status 3",
				Restarts: 2, Code: code(3), Time: at(1)},
			{Event: Restarted, Reason: "startup", Sentence: "no ok probe", Pid: 13, Restarts: 3, Code: code(143), Time: at(5)},
		}},
		{name: "a loop ends when the child recovers", probed: true, events: concat(
			[]supervise.Event{supervise.ChildExited{At: at(0), Pid: 10, Code: 3, Reason: supervise.ReasonExit},
				supervise.CrashLoop{At: at(0), Restarts: 2, Reason: "exit", Code: 3}},
			crash(10, 3, 2, 0)[1:], []supervise.Event{supervise.ChildHealthy{At: at(2), Pid: 11}}, crash(11, 3, 3, 3)),
			want: []Event{
				{Event: CrashLoop, Reason: "exit", Sentence: "2 restarts in a row without a healthy run; the last: " + exited3,
					Pid: 10, Restarts: 2, Code: code(3), Time: at(0)},
				{Event: Recovered, Reason: "exit", Sentence: exited3, Pid: 11, Restarts: 2, Time: at(2)},
				{Event: Restarted, Reason: "exit", Sentence: exited3, Pid: 12, Restarts: 3, Code: code(3), Time: at(4)},
			}},
		{name: "a health verdict in a loop: the loop names the last bundle", probed: true, events: concat(
			healthRestart(b)[2:8],
			[]supervise.Event{supervise.CrashLoop{At: at(4), Restarts: 2, Reason: "health", Detail: probesFailed, Code: 143}}),
			want: []Event{
				{Event: Degraded, Reason: "health", Sentence: probesFailed, Pid: 10, Bundle: b, Time: at(2)},
				{Event: CrashLoop, Reason: "health", Sentence: "2 restarts in a row without a healthy run; the last: " + probesFailed,
					Pid: 10, Bundle: b, Restarts: 2, Code: code(143), Time: at(4)},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker("web", tt.probed)
			var got []Event
			for _, e := range tt.events {
				if h, ok := tr.Observe(e); ok {
					got = append(got, h)
				}
			}
			for i := range tt.want {
				tt.want[i].Name = "web"
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("hooks fired:\n%s\nwant:\n%s", show(got), show(tt.want))
			}
		})
	}
}

func show(es []Event) string {
	var s string
	for _, e := range es {
		s += "  " + string(e.Payload())
	}
	return s
}
