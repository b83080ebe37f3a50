//go:build linux

package e2e

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// The counter helper is a child with a heartbeat: it serves /health on
// ADDR as {"status":"ok","accept_loop":{"requests_total":N}}, N counting
// the requests so far (as the WebUI counts accepted connections), says
// "helper counted" once at the 5th, and exits 0 on SIGTERM.
//
//	counter ADDR
func init() { reexec.Register("counter", helperCounter) }

func helperCounter(args ...string) int {
	if len(args) != 1 {
		return 2
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		say("helper failed", "error", err.Error())
		return 1
	}
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		c := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"ok","accept_loop":{"requests_total":%d}}`, c)
		if c == 5 {
			say("helper counted", "requests_total", c)
		}
	})
	go func() { _ = http.Serve(ln, mux) }()
	say("helper ready")
	waitTerm()
	return 0
}

// pausedLine matches hsup's line about its own pause.
func pausedLine(l hsuptest.Line) bool { return strings.HasPrefix(l.Msg(), "hsup was paused for ") }

// TestPausedHsupLeavesHealthyChild is issue 12's item 5 with real
// processes: hsup (only hsup, the process this test started) is stopped
// with SIGSTOP for longer than the heartbeat's staleness limit while its
// child stays healthy, then continued. hsup must say once that it was
// paused and leave the child alone: no restart for longer than the
// staleness limit after waking.
func TestPausedHsupLeavesHealthyChild(t *testing.T) {
	t.Parallel()
	const (
		stale = 3 * time.Second
		pause = 5 * time.Second
	)
	addr := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
	cmd, env := helperCmd(t, "counter", addr)
	args := runArgs(t, "--health-url=http://"+addr+"/health", "--health-interval=200ms", "--health-timeout=500ms",
		"--health-failures=2", "--deep-url=", "--heartbeat-field=accept_loop.requests_total",
		"--heartbeat-stale="+stale.String(), "--stop-grace=2s")
	p := hsuptest.Start(t, append(args, cmd...), env)
	// Registered after Start, so it runs before Start's kill: a failing
	// run does not leave hsup stopped.
	t.Cleanup(func() { _ = p.Cmd.Process.Signal(syscall.SIGCONT) })

	_, from := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
	_, from = p.WaitLine(t, from, lineWait, "the heartbeat counting", func(l hsuptest.Line) bool { return l.Msg() == "helper counted" })

	p.Signal(t, syscall.SIGSTOP)
	hold(pause)
	p.Signal(t, syscall.SIGCONT)
	woke := time.Now()

	l, _ := p.WaitLine(t, from, lineWait, "the line saying hsup was paused", pausedLine)
	noticed := time.Since(woke)
	quiet(t, p, from, stale+2*time.Second) // past the staleness limit from waking: the counts started over
	n := 0
	for _, l := range p.Lines()[from:] {
		if pausedLine(l) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d lines saying hsup was paused, want 1", n)
	}
	// zap writes durations as seconds; the watcher turns every 200 ms
	// here, so its measure is the pause plus about that.
	if secs, _ := l["paused"].(float64); secs < pause.Seconds() || secs > pause.Seconds()+1.5 {
		t.Errorf("paused = %vs, want about %v", l["paused"], pause)
	}
	if !strings.HasSuffix(l.Msg(), "; not counting that against the child") {
		t.Errorf("pause line %q", l.Msg())
	}
	t.Logf("SIGSTOP for %v: %q (paused=%vs), noticed %v after SIGCONT, no restart within %v",
		pause, l.Msg(), l["paused"], noticed.Round(time.Millisecond), stale+2*time.Second)
}

// hold waits d: the length of the pause under test, not synchronization.
func hold(d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	<-timer.C
}
