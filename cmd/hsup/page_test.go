package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/metrics"
	"github.com/hsup/hsup/statuspage"
	"github.com/hsup/hsup/supervise"
)

var pageT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestPageEntry(t *testing.T) {
	tests := []struct {
		name string
		e    supervise.Event
		want *statuspage.Entry // nil: not on the timeline
	}{
		{name: "degraded", e: supervise.ChildDegraded{At: pageT0, Pid: 7, Reason: "health", Detail: "2 failed probes"},
			want: &statuspage.Entry{At: pageT0, Kind: statuspage.KindDegraded, Pid: 7, Reason: "health", Detail: "2 failed probes"}},
		{name: "backing off is a restart", e: supervise.BackingOff{At: pageT0, Delay: time.Second, Attempt: 2, Restarts: 5, Reason: "exit", Detail: "exit status 1"},
			want: &statuspage.Entry{At: pageT0, Kind: statuspage.KindRestart, Reason: "exit", Detail: "exit status 1", Attempt: 2, Delay: time.Second}},
		{name: "bundle written", e: supervise.CaptureFinished{At: pageT0, Pid: 7, Reason: "health", Restart: true, Dir: "/d/b1", Took: time.Second},
			want: &statuspage.Entry{At: pageT0, Kind: statuspage.KindBundle, Pid: 7, Reason: "health", Bundle: "/d/b1"}},
		{name: "warning bundle is evidence too", e: supervise.CaptureFinished{At: pageT0, Pid: 7, Reason: "fd_pressure", Dir: "/d/b2"},
			want: &statuspage.Entry{At: pageT0, Kind: statuspage.KindBundle, Pid: 7, Reason: "fd_pressure", Bundle: "/d/b2"}},
		{name: "no bundle written", e: supervise.CaptureFinished{At: pageT0, Pid: 7, Reason: "health", Restart: true, Err: errors.New("x"), Abandoned: true}},
		{name: "crash loop", e: supervise.CrashLoop{At: pageT0, Restarts: 10, Reason: "exit", Detail: "exit status 1", Code: 1},
			want: &statuspage.Entry{At: pageT0, Kind: statuspage.KindCrashLoop, Reason: "exit", Detail: "exit status 1"}},
		{name: "gave up", e: supervise.GaveUp{At: pageT0, Restarts: 3, Reason: "exit", Detail: "exit status 1"},
			want: &statuspage.Entry{At: pageT0, Kind: statuspage.KindGaveUp, Reason: "exit", Detail: "exit status 1"}},
		{name: "started", e: supervise.ChildStarted{At: pageT0, Pid: 7}},
		{name: "healthy", e: supervise.ChildHealthy{At: pageT0, Pid: 7}},
		{name: "stopping", e: supervise.ChildStopping{At: pageT0, Pid: 7, Signal: syscall.SIGTERM, Reason: "health"}},
		{name: "exited", e: supervise.ChildExited{At: pageT0, Pid: 7, Code: 0, Reason: "health"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pageEntry(tt.e)
			if ok != (tt.want != nil) {
				t.Fatalf("pageEntry ok = %v, want %v", ok, tt.want != nil)
			}
			if ok && got != *tt.want {
				t.Errorf("pageEntry = %+v, want %+v", got, *tt.want)
			}
		})
	}
}

// TestPageStatusMapsEveryField: a status with every field set leaves no
// field of the page's status at its zero value (a new field of either is
// mapped, or this fails).
func TestPageStatusMapsEveryField(t *testing.T) {
	st := supervise.Status{
		State: supervise.Running, Pid: 7, Pgid: 6, StartedAt: pageT0, RunningSince: pageT0.Add(time.Second),
		Restarts: 3, LastRestartReason: "health", LastRestartDetail: "2 failed probes", LastExitCode: 143, Exited: true,
		Backoff: time.Second, BackoffUntil: pageT0.Add(2 * time.Second), LastBundle: "/d/b", Verdict: "deep", VerdictDetail: "deep check failed",
		ProbeFailures: 2, HeartbeatKnown: true, HeartbeatValue: 12, HeartbeatAdvancedAt: pageT0,
		FDsKnown: true, OpenFDs: 300, FDLimit: 1024,
	}
	got := reflect.ValueOf(pageStatus(st))
	for i := range got.NumField() {
		if got.Field(i).IsZero() {
			t.Errorf("pageStatus leaves %s unset", got.Type().Field(i).Name)
		}
	}
	if p := pageStatus(st); p.State != "running" || p.OpenFDs != 300 || p.LastRestartDetail != "2 failed probes" {
		t.Errorf("pageStatus = %+v", p)
	}
}

func TestPageSampleEvery(t *testing.T) {
	tests := []struct {
		count, want time.Duration
	}{
		{count: 200 * time.Millisecond, want: time.Second},
		{count: 5 * time.Second, want: 5 * time.Second},
		{count: time.Minute, want: 10 * time.Second},
	}
	for _, tt := range tests {
		if got := pageSampleEvery(tt.count); got != tt.want {
			t.Errorf("pageSampleEvery(%v) = %v, want %v", tt.count, got, tt.want)
		}
	}
}

// TestStatusPageFeeds: the observer and the probe consumer reach the
// page, which renders without a supervisor yet.
func TestStatusPageFeeds(t *testing.T) {
	var current atomic.Pointer[supervise.Supervisor]
	p := newStatusPage(settings{name: "svc", metricsAddr: "127.0.0.1:0"}, &current)
	now := time.Now()
	p.observe(supervise.ChildDegraded{At: now, Pid: 7, Reason: "heartbeat", Detail: "the heartbeat has not advanced for 30s"})
	p.observe(supervise.BackingOff{At: now, Delay: time.Second, Attempt: 1, Reason: "heartbeat"})
	p.probe(healthcheck.ProbeEvent{Kind: healthcheck.Cheap, Outcome: healthcheck.Outcome{Result: healthcheck.Timeout, Duration: 2 * time.Second, At: now}})
	rec := httptest.NewRecorder()
	p.handler.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body := rec.Body.String()
	for _, want := range []string{"hsup: svc", "the heartbeat has not advanced for 30s", `class="probe-cheap"`, `<circle class="fail"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if p.companions(nil) != nil {
		t.Error("a sampler without a metrics server to show its samples")
	}
	as := p.companions(metrics.NewServer(http.NotFoundHandler(), zap.NewNop()))
	if len(as) != 1 {
		t.Fatalf("companions with a metrics server: %d, want the sampler", len(as))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := as[0].run(ctx); err != nil { // returns at once, no supervisor yet to sample
		t.Errorf("sampler after its context ended: %v", err)
	}
}

// TestStatusPageOff: without a metrics address nothing is kept or served.
func TestStatusPageOff(t *testing.T) {
	var current atomic.Pointer[supervise.Supervisor]
	p := newStatusPage(settings{name: "svc"}, &current)
	p.observe(supervise.BackingOff{At: time.Now(), Reason: "exit"})
	p.probe(healthcheck.ProbeEvent{Kind: healthcheck.Cheap})
	if p.handler != nil || p.hist != nil || p.companions(nil) != nil {
		t.Errorf("an off page keeps or serves something: %+v", p)
	}
}
