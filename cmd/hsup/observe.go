package main

import (
	"strconv"
	"time"

	"github.com/hsup/hsup/acceptq"
	"github.com/hsup/hsup/diagnose"
	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/metrics"
	"github.com/hsup/hsup/supervise"
	"github.com/hsup/hsup/systemd"
)

// labels are the metric label sets, from the packages that own them.
func labels() metrics.Labels {
	var l metrics.Labels
	for _, s := range supervise.States() {
		l.States = append(l.States, s.String())
	}
	l.Reasons = append([]string{supervise.ReasonExit, supervise.ReasonHsup, supervise.ReasonManual}, healthcheck.Reasons()...)
	l.Reasons = append(l.Reasons, diagnose.PressureReason)
	l.Reasons = append(l.Reasons, acceptq.Reason)
	for _, k := range healthcheck.Kinds() {
		l.Probes = append(l.Probes, string(k))
	}
	for _, r := range healthcheck.Results() {
		l.ProbeResults = append(l.ProbeResults, string(r))
	}
	l.BundleResults = append(diagnose.BundleResults(), supervise.BundleAbandoned)
	return l
}

// metricsStatus is the supervisor's published status as the metrics read it.
func metricsStatus(sup func() *supervise.Supervisor) func() metrics.Status {
	return func() metrics.Status {
		s := sup()
		if s == nil {
			return metrics.Status{State: supervise.Backoff.String()}
		}
		st := s.Status()
		return metrics.Status{
			State: st.State.String(), Pid: st.Pid, StartedAt: st.StartedAt, Restarts: st.Restarts,
			LastRestartReason: st.LastRestartReason, Backoff: st.Backoff,
			HeartbeatKnown: st.HeartbeatKnown, HeartbeatValue: st.HeartbeatValue, HeartbeatAdvancedAt: st.HeartbeatAdvancedAt,
			OpenFDs: st.OpenFDs, FDLimit: st.FDLimit,
		}
	}
}

// subscribe returns the supervisor's event handler: counters for the
// metrics, messages for sd_notify, the child record, and the observers
// (ledger, hooks, status page), in that order. It runs on the
// supervisor's loop, so it and every observer only count and queue.
func subscribe(m *metrics.Metrics, n *systemd.Notifier, rec *recorder, observers ...func(supervise.Event)) func(supervise.Event) {
	return func(e supervise.Event) {
		rec.observe(e)
		for _, o := range observers {
			o(e)
		}
		switch e := e.(type) {
		case supervise.ChildExited:
			m.ChildExited(e.Code)
		case supervise.StartFailed:
			if !e.Transient { // no program ran: no exit to count
				m.ChildExited(e.Code)
			}
		case supervise.CaptureFinished:
			if e.Abandoned {
				m.Bundle(supervise.BundleAbandoned, e.Took)
			}
		case supervise.BackingOff:
			m.Restart(e.Reason)
		}
		if line := statusLine(e); line != "" {
			n.Status(line)
		}
		switch e := e.(type) {
		case supervise.ChildHealthy:
			n.Ready()
		case supervise.ChildStopping:
			if e.Shutdown {
				n.Stopping()
			}
		}
	}
}

// statusLine is sd_notify's STATUS= for an event that changes the child's
// state, "" for the others.
func statusLine(e supervise.Event) string {
	child := func(state string, pid int, reason string) string {
		line := "child " + state + " pid " + strconv.Itoa(pid)
		if reason != "" {
			line += " (" + reason + ")"
		}
		return line
	}
	switch e := e.(type) {
	case supervise.ChildStarted:
		return child("starting", e.Pid, "")
	case supervise.ChildHealthy:
		return child("running", e.Pid, "healthy")
	case supervise.CaptureStarted:
		if e.Restart {
			return child("capturing", e.Pid, e.Reason)
		}
	case supervise.ChildStopping:
		return child("stopping", e.Pid, e.Reason)
	case supervise.BackingOff:
		return "child backoff (" + e.Reason + "), next start in " + e.Delay.Round(time.Millisecond).String()
	case supervise.StartFailed:
		return "child could not be started: " + e.Err.Error()
	case supervise.Exiting:
		return "hsup exiting with status " + strconv.Itoa(e.Code)
	}
	return ""
}
