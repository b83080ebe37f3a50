package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
)

// Probe timing of the demo tests, and the margin every budget adds for
// the diagnostics capture and two cores shared with other builds.
const (
	interval     = 200 * time.Millisecond
	timeout      = 200 * time.Millisecond
	failures     = 2
	deepInterval = 300 * time.Millisecond
	deepTimeout  = 300 * time.Millisecond
	deepFailures = 2
	stale        = time.Second
	busyFailures = 5
	stopGrace    = 2 * time.Second
	margin       = 5 * time.Second
)

func healthFlags() []string {
	return healthFlagsDeep(deepInterval)
}

// healthFlagsDeep sets the deep interval apart: with both probes fast, a
// dead accept loop fails the deep probe too, and which threshold is met
// first is a race (see the report); cases that are not about the deep
// probe keep it slow.
func healthFlagsDeep(deep time.Duration) []string {
	return []string{"--log-format=json", "--metrics-addr=", "--backoff-min=100ms", "--backoff-max=200ms",
		"--health-interval=" + interval.String(), "--health-timeout=" + timeout.String(),
		"--health-failures=" + strconv.Itoa(failures), "--deep-interval=" + deep.String(),
		"--deep-timeout=" + deepTimeout.String(), "--deep-failures=" + strconv.Itoa(deepFailures),
		"--heartbeat-stale=" + stale.String(), "--busy-failures=" + strconv.Itoa(busyFailures),
		"--startup-grace=3s", "--stop-grace=" + stopGrace.String()}
}

func startDemo(t *testing.T, deep time.Duration) (*hsuptest.Proc, string) {
	port := hsuptest.FreePort(t)
	args := append([]string{"demo", "--port=" + strconv.Itoa(port), "--diag-dir=" + t.TempDir()}, healthFlagsDeep(deep)...)
	p := hsuptest.Start(t, args)
	return p, "127.0.0.1:" + strconv.Itoa(port)
}

func lineTime(t *testing.T, l hsuptest.Line) time.Time {
	ts, err := time.Parse(time.RFC3339Nano, l.Str("ts"))
	if err != nil {
		t.Fatalf("log line without a parseable ts: %v", l)
	}
	return ts
}

// restarting matches the line that ends a degraded child: capturing or,
// without a capturer, stopping, from running or starting.
func restarting(l hsuptest.Line) bool {
	return (l.Msg() == "child capturing" || l.Msg() == "child stopping") &&
		(l.Str("from") == "running" || l.Str("from") == "starting")
}

func TestDemoSwitches(t *testing.T) {
	probeBudget := failures*(interval+timeout) + timeout
	cases := []struct {
		name      string
		reason    string
		budget    time.Duration // flip to the backoff line
		notBefore time.Duration // flip to the degraded line, at least
	}{
		{name: "noaccept", reason: "health", budget: probeBudget},
		{name: "hang", reason: "health", budget: probeBudget},
		{name: "reset", reason: "health", budget: probeBudget},
		{name: "deep", reason: "deep", budget: deepFailures*(deepInterval+deepTimeout) + deepTimeout},
		{name: "freeze", reason: "heartbeat", budget: stale + interval + timeout, notBefore: stale},
		{name: "busy", reason: "busy", budget: busyFailures*(interval+timeout) + timeout,
			notBefore: (busyFailures - 1) * interval},
		{name: "crash?code=1", reason: "exit", budget: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			deep := 10 * time.Second
			if c.reason == "deep" {
				deep = deepInterval
			}
			p, addr := startDemo(t, deep)
			_, from := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
			before := time.Now()
			if code, body := hsuptest.Post(t, "http://"+addr+"/demo/"+c.name); code != http.StatusOK {
				t.Fatalf("flip %s: %d %s", c.name, code, body)
			}
			budget := c.budget + stopGrace + margin
			b, i := p.WaitLine(t, from, budget, "child backoff", hsuptest.State("backoff"))
			if d := time.Since(before); d > budget {
				t.Errorf("restart after %v, budget %v", d, budget)
			}
			if b.Str("reason") != c.reason {
				t.Errorf("backoff reason %q, want %q; line %v", b.Str("reason"), c.reason, b)
			}
			if c.reason != "exit" {
				d, _ := p.WaitLine(t, from, time.Second, "the degraded transition", restarting)
				if d.Str("reason") != c.reason {
					t.Errorf("degraded reason %q, want %q", d.Str("reason"), c.reason)
				}
				if early := lineTime(t, d).Sub(before); early < c.notBefore {
					t.Errorf("degraded %v after the flip, want not before %v", early, c.notBefore)
				}
			} else if b.Int("exit_code") != 1 {
				t.Errorf("exit_code %d, want 1", b.Int("exit_code"))
			}
			p.WaitLine(t, i, lineWait, "the replacement running", hsuptest.State("running"))
			for _, l := range p.Lines()[from:] {
				if strings.HasPrefix(l.Msg(), "child ") || strings.HasPrefix(l.Msg(), "diagnostics") {
					t.Logf("%s %s reason=%s", l.Str("ts"), l.Msg(), l.Str("reason"))
				}
			}
		})
	}
}

// quiet fails if any line from index from on, seen within window, is a
// restart; hsup must still be running at the end.
func quiet(t *testing.T, p *hsuptest.Proc, from int, window time.Duration) {
	t.Helper()
	timer := time.NewTimer(window)
	defer timer.Stop()
	<-timer.C // a bounded observation window, not synchronization
	for _, l := range p.Lines()[from:] {
		if restarting(l) || l.Msg() == "child backoff" || l.Msg() == "child exited" {
			t.Fatalf("restart within %v of healthy running: %v", window, l)
		}
	}
}

func TestDemoHealthyLeftAlone(t *testing.T) {
	t.Parallel()
	p, _ := startDemo(t, deepInterval)
	_, from := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
	quiet(t, p, from, 3*time.Second)
	p.Signal(t, syscall.SIGTERM)
	if code := p.Wait(t, exitWait); code != 0 {
		t.Errorf("hsup exit %d after SIGTERM of a healthy demo app, want 0", code)
	}
}

func TestSlowStart(t *testing.T) {
	cases := []struct {
		name  string
		grace string
		want  string // "" = running, no restart
	}{
		{name: "inside the grace", grace: "3s"},
		{name: "beyond the grace", grace: "500ms", want: "startup"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			addr := "127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t))
			args := append(healthFlags(), "--startup-grace="+c.grace, "--diag-dir="+t.TempDir(),
				"--health-url=http://"+addr+"/health", "--",
				hsuptest.Binary(t), "demo-app", "--addr", addr, "--state-dir", t.TempDir(), "--start-delay", "1s")
			p := hsuptest.Start(t, append([]string{"run"}, args...))
			if c.want == "" {
				_, i := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
				for _, l := range p.Lines()[:i] {
					if l.Msg() == "child backoff" {
						t.Fatalf("restart before running: %v", l)
					}
				}
				quiet(t, p, i, time.Second)
				return
			}
			b, _ := p.WaitLine(t, 0, lineWait, "child backoff", hsuptest.State("backoff"))
			if b.Str("reason") != c.want {
				t.Errorf("backoff reason %q, want %q", b.Str("reason"), c.want)
			}
		})
	}
}

// TestPortTakenByAnother: something that is not the child answers the
// health URL. hsup starts its child, does not count that answer as the
// child's (the start fails with reason port_held), logs one error naming
// the port and its holder, and leaves the listener (this test's) alone.
func TestPortTakenByAnother(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"status":"ok"}`)
	})}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-served })
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)

	cmd, env := helperCmd(t, "wait-term", "0")
	args := append([]string{"run", "--diag-dir=" + t.TempDir(), "--health-url=http://127.0.0.1:" + port + "/health"}, healthFlags()...)
	p := hsuptest.Start(t, append(args, cmd...), env)
	p.WaitLine(t, 0, lineWait, "child starting", hsuptest.State("starting"))
	ready(p, t)
	b, _ := p.WaitLine(t, 0, lineWait, "child backoff", hsuptest.State("backoff"))
	if b.Str("reason") != "port_held" {
		t.Errorf("backoff reason %q, want port_held", b.Str("reason"))
	}
	var errs []string
	for _, l := range p.Lines() {
		if l.Str("level") == "error" {
			j, _ := json.Marshal(l)
			errs = append(errs, string(j))
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "port "+port) || !strings.Contains(errs[0], "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("error lines %q, want exactly one naming port %s and this test's pid", errs, port)
	}
	p.Signal(t, syscall.SIGTERM)
	p.Wait(t, exitWait)
	if code, _ := hsuptest.Get(t, "http://127.0.0.1:"+port+"/health"); code != http.StatusOK {
		t.Errorf("the listener hsup did not start answers %d after hsup, want 200", code)
	}
}
