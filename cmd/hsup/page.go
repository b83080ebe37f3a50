package main

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/metrics"
	"github.com/hsup/hsup/statuspage"
	"github.com/hsup/hsup/supervise"
)

// statusPage is the page served at GET / on the metrics address and the
// history it shows, fed by the supervisor's events (observe, on the loop:
// it only copies under a short lock), the probes (probe) and a sampler of
// the published status (a companion in the run group). Without a metrics
// address it is off: nothing is kept, since nothing could show it.
type statusPage struct {
	hist    *statuspage.History // nil when off
	handler http.Handler        // nil when off
	every   time.Duration
	sup     func() *supervise.Supervisor
}

// newStatusPage builds the page over the supervisor current will hold.
func newStatusPage(s settings, current *atomic.Pointer[supervise.Supervisor]) *statusPage {
	if s.metricsAddr == "" {
		return &statusPage{}
	}
	p := &statusPage{hist: statuspage.NewHistory(), every: pageSampleEvery(fdInterval(s)), sup: current.Load}
	p.handler = statuspage.New(statuspage.Options{Name: s.name, Started: time.Now(), History: p.hist,
		Status: func() statuspage.Status {
			if sup := p.sup(); sup != nil {
				return pageStatus(sup.Status())
			}
			return statuspage.Status{}
		}})
	return p
}

// pageSampleEvery samples the child's FDs as often as the FD watcher
// counts them, but at most once a second and at least every 10 s (the
// charts' resolution).
func pageSampleEvery(count time.Duration) time.Duration {
	return min(max(count, time.Second), statuspage.BucketWidth)
}

// observe records the events of the timeline. It runs on the
// supervisor's loop and only copies a value into a bounded ring.
func (p *statusPage) observe(e supervise.Event) {
	if en, ok := pageEntry(e); ok && p.hist != nil {
		p.hist.Record(en)
	}
}

// probe records one probe's latency (a second consumer of the probes,
// beside the metrics).
func (p *statusPage) probe(e healthcheck.ProbeEvent) {
	if p.hist == nil {
		return
	}
	p.hist.Probe(string(e.Kind), e.Outcome.At, e.Outcome.Duration, e.Outcome.Result != healthcheck.OK)
}

// companions is the FD sampler, when the page is served.
func (p *statusPage) companions(srv *metrics.Server) []actor {
	if srv == nil || p.hist == nil {
		return nil
	}
	return []actor{{name: "status page sampler", run: p.sample}}
}

func (p *statusPage) sample(ctx context.Context) error {
	return p.hist.SampleFDs(ctx, p.every, func() (int, uint64, bool) {
		sup := p.sup()
		if sup == nil {
			return 0, 0, false
		}
		st := sup.Status()
		return st.OpenFDs, st.FDLimit, st.FDsKnown && st.Pid != 0
	})
}

// pageEntry is the timeline entry of an event, ok false for the events
// the timeline does not show.
func pageEntry(e supervise.Event) (en statuspage.Entry, ok bool) {
	switch e := e.(type) {
	case supervise.ChildDegraded:
		return statuspage.Entry{At: e.At, Kind: statuspage.KindDegraded, Pid: e.Pid, Reason: e.Reason, Detail: e.Detail}, true
	case supervise.BackingOff:
		return statuspage.Entry{At: e.At, Kind: statuspage.KindRestart, Reason: e.Reason, Detail: e.Detail,
			Attempt: e.Attempt, Delay: e.Delay}, true
	case supervise.CaptureFinished:
		if e.Dir == "" {
			return en, false
		}
		return statuspage.Entry{At: e.At, Kind: statuspage.KindBundle, Pid: e.Pid, Reason: e.Reason, Bundle: e.Dir}, true
	case supervise.CrashLoop:
		return statuspage.Entry{At: e.At, Kind: statuspage.KindCrashLoop, Reason: e.Reason, Detail: e.Detail}, true
	case supervise.GaveUp:
		return statuspage.Entry{At: e.At, Kind: statuspage.KindGaveUp, Reason: e.Reason, Detail: e.Detail}, true
	}
	return en, false
}

// pageStatus is the published status as the page shows it.
func pageStatus(st supervise.Status) statuspage.Status {
	return statuspage.Status{
		State: st.State.String(), Pid: st.Pid, StartedAt: st.StartedAt, RunningSince: st.RunningSince,
		Restarts: st.Restarts, LastRestartReason: st.LastRestartReason, LastRestartDetail: st.LastRestartDetail,
		LastExitCode: st.LastExitCode, Exited: st.Exited,
		Backoff: st.Backoff, BackoffUntil: st.BackoffUntil, LastBundle: st.LastBundle,
		Verdict: st.Verdict, VerdictDetail: st.VerdictDetail,
		ProbeFailures: st.ProbeFailures, FDsKnown: st.FDsKnown, OpenFDs: st.OpenFDs, FDLimit: st.FDLimit,
		HeartbeatKnown: st.HeartbeatKnown, HeartbeatValue: st.HeartbeatValue, HeartbeatAdvancedAt: st.HeartbeatAdvancedAt,
	}
}
