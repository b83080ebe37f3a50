package main

import (
	"context"
	"os"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hsup/hsup/doctor"
	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/ledger"
	"github.com/hsup/hsup/supervise"
)

// currentLedger is the ledger of the service this hsup runs, once open;
// nil without one. ledgerRef reads it.
var currentLedger atomic.Pointer[ledger.Ledger]

// ledgerRef is the ledger line a bundle captured now links to: the
// ledger's file and the seq of its last line (for a restart, the degraded
// verdict that asked for the bundle; for an operator's capture, the line
// before it). "" and 0 when hsup runs without a ledger. Safe from any
// goroutine; it does not touch the file.
func ledgerRef() (file string, seq int64) {
	l := currentLedger.Load()
	if l == nil {
		return "", 0
	}
	return l.Path(), l.LastSeq()
}

// ledgerProbes is how many of the last probes a degraded line carries.
const ledgerProbes = 10

// openLedger opens the service's ledger and records hsup's start (version,
// argv, the effective settings). Without a service directory, or when the
// ledger cannot be opened, hsup runs without one: one warning.
func openLedger(s settings, svc *claim, argv []string, log *zap.Logger, facts func(supervise.ChildDegraded) ledger.Facts) *ledger.Ledger {
	if svc.dir == nil {
		return nil
	}
	var l *ledger.Ledger
	err := within(volumeWait, "opening the ledger", func() error {
		var err error
		l, err = ledger.Open(ledger.Config{Dir: svc.dir.Path, Name: s.name, StopGrace: s.stopGrace, Degraded: facts, Log: log})
		return err
	})
	if err != nil {
		log.Warn("no ledger: hsup status and the bundles' links to it miss this run", zap.Error(err))
		return nil
	}
	v, rev := buildVersion()
	if rev != "" {
		v += " " + rev
	}
	l.Append(ledger.Entry{Event: ledger.EventHsupStarted, Version: v, HsupPid: os.Getpid(), Argv: argv, Settings: effectiveSettings(s)})
	currentLedger.Store(l)
	return l
}

// effectiveSettings are the settings hsup runs with, under their flags'
// names, as the start-up log line has them.
func effectiveSettings(s settings) map[string]any {
	enc := zapcore.NewMapObjectEncoder()
	_ = settingsLog(s).MarshalLogObject(enc)
	return enc.Fields
}

// ledgerCompanion closes the ledger when the run group ends, after the
// supervisor's last event: what is queued is written within a bound.
func ledgerCompanion(l *ledger.Ledger) actor {
	return actor{name: "ledger", run: func(ctx context.Context) error {
		<-ctx.Done()
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return l.Close(cctx)
	}}
}

// ledgerFacts gives a degraded line the probes behind its verdict, from
// the health monitor's recent probes (nil mon: no probing) and the
// published status. It runs on the supervisor's loop and only copies.
func ledgerFacts(s settings, mon *healthcheck.Monitor, status func() *supervise.Supervisor) func(supervise.ChildDegraded) ledger.Facts {
	budgets := doctor.Budgets(probeInput(s))
	return func(d supervise.ChildDegraded) ledger.Facts {
		var hist []healthcheck.Record
		if mon != nil {
			hist = mon.Evidence().History
		}
		var st supervise.Status
		if sup := status(); sup != nil {
			st = sup.Status()
		}
		return verdictFacts(d.Reason, d.At, hist, st, budgets)
	}
}

// verdictFacts is a degraded verdict's facts: the last probes, and for
// the probe-driven reasons the failures that led to it, the time from the
// first of them to the verdict, and doctor's budget for the reason.
func verdictFacts(reason string, at time.Time, hist []healthcheck.Record, st supervise.Status, budgets []doctor.Budget) ledger.Facts {
	var f ledger.Facts
	for _, r := range hist[max(len(hist)-ledgerProbes, 0):] {
		f.Probes = append(f.Probes, ledger.Probe{Kind: string(r.Kind), At: ledger.Stamp(r.At), Result: string(r.Result),
			Status: r.Status, LatencyMS: float64(r.Duration.Microseconds()) / 1000})
	}
	class, kind := verdictClass(reason)
	for _, b := range budgets {
		if b.Class == class && !b.Off {
			f.Budget = b.Worst
		}
	}
	switch reason {
	case healthcheck.ReasonHeartbeat:
		if !st.HeartbeatAdvancedAt.IsZero() {
			f.FirstFailure = at.Sub(st.HeartbeatAdvancedAt)
		}
		return f
	case healthcheck.ReasonStartup:
		if !st.StartedAt.IsZero() {
			f.FirstFailure = at.Sub(st.StartedAt)
		}
		return f
	}
	if kind == "" {
		return f
	}
	first := time.Time{}
	for i := len(hist) - 1; i >= 0; i-- {
		if r := hist[i]; r.Kind == kind {
			if r.Result == healthcheck.OK {
				break
			}
			f.Failures++
			first = r.At
		}
	}
	if f.Failures == 0 && kind == healthcheck.Cheap {
		f.Failures = st.ProbeFailures // no history: the published count
	}
	if !first.IsZero() {
		f.FirstFailure = at.Sub(first)
	}
	return f
}

// verdictClass maps a verdict's reason to doctor's budget class and the
// kind of probe whose failures made it ("" for neither).
func verdictClass(reason string) (class string, kind healthcheck.Kind) {
	switch reason {
	case healthcheck.ReasonHealth:
		return "cheap", healthcheck.Cheap
	case healthcheck.ReasonBusy:
		return "busy", healthcheck.Cheap
	case healthcheck.ReasonDeep:
		return "deep", healthcheck.Deep
	case healthcheck.ReasonHeartbeat, healthcheck.ReasonStartup:
		return reason, ""
	}
	return "", ""
}
