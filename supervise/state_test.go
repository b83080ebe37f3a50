package supervise

import "testing"

func TestNext(t *testing.T) {
	restart := facts{restart: true}
	capture := facts{capture: true}
	tests := []struct {
		name  string
		from  State
		ev    event
		facts facts
		to    State
		act   action
	}{
		{name: "first ok probe", from: Starting, ev: evHealthy, to: Running, act: doNothing},
		{name: "healthy again is nothing", from: Running, ev: evHealthy, to: Running, act: doNothing},
		{name: "degraded with capturer", from: Running, ev: evDegraded, facts: capture, to: Capturing, act: doCapture},
		{name: "degraded without capturer", from: Running, ev: evDegraded, to: Stopping, act: doStop},
		{name: "startup degraded", from: Starting, ev: evDegraded, facts: capture, to: Capturing, act: doCapture},
		{name: "late verdict while stopping", from: Stopping, ev: evDegraded, facts: capture, to: Stopping, act: doNothing},
		{name: "second verdict while capturing", from: Capturing, ev: evDegraded, facts: capture, to: Capturing, act: doNothing},
		{name: "capture done", from: Capturing, ev: evCaptured, to: Stopping, act: doStop},
		{name: "stale capture done", from: Backoff, ev: evCaptured, to: Backoff, act: doNothing},
		{name: "crash restarts", from: Running, ev: evExited, facts: restart, to: Backoff, act: doBackoff},
		{name: "crash, policy says no", from: Running, ev: evExited, to: Stopped, act: doExit},
		{name: "exit during capture", from: Capturing, ev: evExited, facts: restart, to: Backoff, act: doBackoff},
		{name: "stopped for restart", from: Stopping, ev: evExited, facts: restart, to: Backoff, act: doBackoff},
		{name: "stopped for good", from: Stopping, ev: evExited, to: Stopped, act: doExit},
		{name: "grace over", from: Stopping, ev: evTimer, to: Stopping, act: doKill},
		{name: "backoff over", from: Backoff, ev: evTimer, to: Starting, act: doStart},
		{name: "shutdown while starting", from: Starting, ev: evShutdown, to: Stopping, act: doStop},
		{name: "shutdown while running", from: Running, ev: evShutdown, to: Stopping, act: doStop},
		{name: "shutdown while capturing", from: Capturing, ev: evShutdown, to: Stopping, act: doStop},
		{name: "shutdown while stopping", from: Stopping, ev: evShutdown, to: Stopping, act: doNothing},
		{name: "shutdown in backoff is at once", from: Backoff, ev: evShutdown, to: Stopped, act: doExit},
		{name: "stopped is final", from: Stopped, ev: evTimer, facts: restart, to: Stopped, act: doNothing},
		{name: "stale exit in backoff", from: Backoff, ev: evExited, facts: restart, to: Backoff, act: doNothing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to, act := next(tt.from, tt.ev, tt.facts)
			if to != tt.to || act != tt.act {
				t.Fatalf("next(%v, %d, %+v) = (%v, %d), want (%v, %d)", tt.from, tt.ev, tt.facts, to, act, tt.to, tt.act)
			}
		})
	}
}
