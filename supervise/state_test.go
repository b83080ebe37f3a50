package supervise

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"strings"
	"testing"
)

// arc is one row of next's table; cover names the loop test that drives
// the same arc through Run with fakes.
type arc struct {
	name  string
	from  State
	ev    event
	facts facts
	to    State
	act   action
	cover string
}

var arcs = []arc{
	// A child that is starting or running.
	{name: "first ok probe", from: Starting, ev: evHealthy, to: Running, act: doNothing, cover: "TestDegradedCapturesThenStopsThenKills"},
	{name: "healthy again is nothing", from: Running, ev: evHealthy, to: Running, act: doNothing, cover: "TestStatusFollowsTheChild"},
	{name: "degraded with capturer", from: Running, ev: evDegraded, facts: facts{capture: true}, to: Capturing, act: doCapture, cover: "TestDegradedCapturesThenStopsThenKills"},
	{name: "degraded during a warning capture waits for it", from: Running, ev: evDegraded, facts: facts{capture: true, capturing: true}, to: Capturing, act: doNothing, cover: "TestWarningThenDegradedCapturesInTurn"},
	{name: "degraded without capturer", from: Starting, ev: evDegraded, to: Stopping, act: doStop, cover: "TestDegradedWithoutCapturerStopsAtOnce"},
	{name: "warning captures without a state change", from: Running, ev: evWarn, facts: facts{capture: true}, to: Running, act: doWarnCapt, cover: "TestWarningCapturesAndKeepsRunning"},
	{name: "warning while a capture runs is dropped", from: Running, ev: evWarn, facts: facts{capture: true, capturing: true}, to: Running, act: doNothing, cover: "TestWarningCapturesAndKeepsRunning"},
	{name: "warning without capturer", from: Starting, ev: evWarn, to: Starting, act: doNothing, cover: "TestWarningWithoutCapturerIsNothing"},
	{name: "warning capture overran", from: Running, ev: evTimer, facts: facts{capturing: true}, to: Running, act: doAbandon, cover: "TestHungWarningCaptureIsAbandoned"},
	{name: "warning capture done", from: Running, ev: evCaptured, to: Running, act: doNothing, cover: "TestWarningCapturesAndKeepsRunning"},
	{name: "crash restarts", from: Running, ev: evExited, facts: facts{restart: true}, to: Backoff, act: doBackoff, cover: "TestCrashRestartsAfterGrowingBackoff"},
	{name: "crash, policy says no", from: Running, ev: evExited, to: Stopped, act: doExit, cover: "TestRestartNeverExitsWithChildStatus"},
	{name: "crash, crash loop gives up", from: Running, ev: evExited, facts: facts{restart: true, giveUp: true}, to: Stopped, act: doExit, cover: "TestCrashLoopAnnouncedThenGivesUp"},
	{name: "shutdown while starting", from: Starting, ev: evShutdown, to: Stopping, act: doStop, cover: "TestShutdownWhileStarting"},
	{name: "shutdown while running", from: Running, ev: evShutdown, to: Stopping, act: doStop, cover: "TestShutdownStopsChildAndReturnsItsStatus"},
	// Capturing the restart's bundle.
	{name: "restart capture done", from: Capturing, ev: evCaptured, facts: facts{restartCap: true}, to: Stopping, act: doStop, cover: "TestDegradedCapturesThenStopsThenKills"},
	{name: "warning capture done, restart's follows", from: Capturing, ev: evCaptured, to: Capturing, act: doCapture, cover: "TestWarningThenDegradedCapturesInTurn"},
	{name: "capture overran its bound", from: Capturing, ev: evTimer, to: Stopping, act: doAbandon, cover: "TestHungCapturerIsAbandonedAtCaptureTimeout"},
	{name: "exit during capture", from: Capturing, ev: evExited, facts: facts{restart: true}, to: Backoff, act: doBackoff, cover: "TestExitDuringCapture"},
	{name: "shutdown while capturing", from: Capturing, ev: evShutdown, to: Stopping, act: doStop, cover: "TestShutdownDuringCapture"},
	{name: "second verdict while capturing", from: Capturing, ev: evDegraded, facts: facts{capture: true}, to: Capturing, act: doNothing, cover: "TestWarningThenDegradedCapturesInTurn"},
	// Stopping.
	{name: "grace over", from: Stopping, ev: evTimer, to: Stopping, act: doKill, cover: "TestDegradedCapturesThenStopsThenKills"},
	{name: "stopped for restart", from: Stopping, ev: evExited, facts: facts{restart: true}, to: Backoff, act: doBackoff, cover: "TestDegradedCapturesThenStopsThenKills"},
	{name: "stopped for good", from: Stopping, ev: evExited, to: Stopped, act: doExit, cover: "TestShutdownStopsChildAndReturnsItsStatus"},
	{name: "shutdown while stopping", from: Stopping, ev: evShutdown, to: Stopping, act: doNothing, cover: "TestShutdownDuringCapture"},
	{name: "late verdict while stopping", from: Stopping, ev: evDegraded, facts: facts{capture: true}, to: Stopping, act: doNothing,
		cover: "unreachable through Run: the child's monitors are cancelled when its stop begins, so no verdict arrives"},
	// Backoff: the wait, then the start of the next child.
	{name: "backoff over", from: Backoff, ev: evTimer, to: Backoff, act: doStart, cover: "TestCrashRestartsAfterGrowingBackoff"},
	{name: "started", from: Backoff, ev: evLaunched, to: Starting, act: doWatch, cover: "TestDegradedCapturesThenStopsThenKills"},
	{name: "started after a shutdown", from: Backoff, ev: evLaunched, facts: facts{shutdown: true}, to: Stopping, act: doStop, cover: "TestShutdownWhileStartingWaitsForTheStart"},
	{name: "start failed, restart", from: Backoff, ev: evStartFailed, facts: facts{restart: true}, to: Backoff, act: doBackoff, cover: "TestStartFailureAfterCrashBacksOff"},
	{name: "start failed, no restart", from: Backoff, ev: evStartFailed, to: Stopped, act: doExit, cover: "TestFirstStartFailureIsAnError"},
	{name: "start failed, crash loop gives up", from: Backoff, ev: evStartFailed, facts: facts{restart: true, giveUp: true}, to: Stopped, act: doExit, cover: "TestStartFailuresGiveUp"},
	{name: "shutdown during a start waits for it", from: Backoff, ev: evShutdown, facts: facts{launching: true}, to: Backoff, act: doNothing, cover: "TestShutdownWhileARestartFails"},
	{name: "shutdown in backoff is at once", from: Backoff, ev: evShutdown, to: Stopped, act: doExit, cover: "TestShutdownDuringBackoffIsImmediate"},
	{name: "stale capture done in backoff", from: Backoff, ev: evCaptured, to: Backoff, act: doNothing, cover: "TestExitDuringCapture"},
	{name: "stopped is final", from: Stopped, ev: evTimer, facts: facts{restart: true}, to: Stopped, act: doNothing, cover: "TestRestartNeverExitsWithChildStatus"},
}

func TestNext(t *testing.T) {
	for _, tt := range arcs {
		t.Run(tt.name, func(t *testing.T) {
			to, act := next(tt.from, tt.ev, tt.facts)
			if to != tt.to || act != tt.act {
				t.Fatalf("next(%v, %v, %+v) = (%v, %v), want (%v, %v)", tt.from, tt.ev, tt.facts, to, act, tt.to, tt.act)
			}
		})
	}
}

// TestNextArcsAreCovered fails when an arc names a loop test that does not
// exist, so the table stays an honest map of what drives each arc. An arc
// no event sequence through Run can reach says so ("unreachable ...").
func TestNextArcsAreCovered(t *testing.T) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), ".", func(fi fs.FileInfo) bool {
		return strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]bool{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				if fn, ok := d.(*ast.FuncDecl); ok && strings.HasPrefix(fn.Name.Name, "Test") {
					tests[fn.Name.Name] = true
				}
			}
		}
	}
	for _, a := range arcs {
		if !tests[a.cover] && !strings.HasPrefix(a.cover, "unreachable") {
			t.Errorf("arc %q names %s, which is not a loop test", a.name, a.cover)
		}
	}
}
