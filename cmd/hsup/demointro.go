package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/demoapp"
	"github.com/hsup/hsup/doctor"
	"github.com/hsup/hsup/proctree"
	"github.com/hsup/hsup/supervise"
)

// demoPortsFree checks, before the demo prints or starts anything, that
// the app's address and hsup's metrics address ("" = none) are free:
// otherwise the app would crash-loop on its port, or hsup would exit after
// the banner. inUse tells whether something listens on an address, holder
// who (" by pid N (comm)", or "").
func demoPortsFree(app, metrics string, inUse func(string) bool, holder func(string) string) error {
	if inUse(app) {
		return cli.Exit(fmt.Sprintf("hsup: demo: the app's address %s is in use%s: stop that, or give the demo another --port",
			app, holder(app)), supervise.ExitTransient)
	}
	if metrics != "" && inUse(metrics) {
		return cli.Exit(fmt.Sprintf("hsup: demo: the metrics address %s is in use%s: give another --metrics-addr, or --metrics-addr= for none",
			metrics, holder(metrics)), supervise.ExitTransient)
	}
	return nil
}

// portHolder names the process listening on addr's port, as
// " by pid N (comm)", or "" when it cannot tell within a second.
func portHolder(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	if err != nil || port == 0 {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	pids, _, err := proctree.Listeners(ctx, port)
	if err != nil || len(pids) == 0 {
		return ""
	}
	proc, _ := proctree.Identify(pids[0])
	if proc.Comm == "" {
		return fmt.Sprintf(" by pid %d", pids[0])
	}
	return fmt.Sprintf(" by pid %d (%s)", pids[0], proc.Comm)
}

// switchEffect is the banner's sentence for a demo switch: what the app
// does (the first half of the switch's own Effect, up to "; "), then what
// hsup does about it and when, computed from the settings the demo runs
// with (demoapp's own sentence assumes the defaults).
func switchEffect(sw demoapp.Switch, s settings) string {
	what, _, ok := strings.Cut(sw.Effect, "; ")
	if !ok {
		return sw.Effect
	}
	does := hsupDoes(sw.Name, s)
	if does == "" {
		return sw.Effect
	}
	return what + "; " + does + "."
}

// hsupDoes is the second half of a switch's sentence; "" for a switch
// whose sentence names no timing (heal).
func hsupDoes(name string, s settings) string {
	h := s.health
	budget := map[string]doctor.Budget{}
	for _, b := range doctor.Budgets(probeInput(s)) {
		budget[b.Class] = b
	}
	if (name == "noaccept" || name == "emfile") && !budget["accept_stall"].Off && h.URL != "" {
		// Connections pile up in the accept queue: the stall is due once
		// the first that waits (a probe, after at most an interval) has
		// waited --accept-stall.
		took := budget["accept_stall"].Worst
		return fmt.Sprintf("hsup restarts it once connections have waited %s in its accept queue "+
			"with no probe answered (about %s with only hsup's probes connecting), reason accept_stall", short(s.accept.stall), short(took))
	}
	switch name {
	case "noaccept", "hang", "reset", "emfile":
		if budget["cheap"].Off {
			return "hsup does not probe (--health-url is empty), so it does not notice"
		}
		took := budget["cheap"].Worst
		if name == "reset" { // refused at once: no probe waits out its timeout
			took = time.Duration(h.Failures) * h.Interval
		}
		return fmt.Sprintf("hsup restarts it after %d failed probes (about %s), reason health", h.Failures, short(took))
	case "deep":
		if budget["deep"].Off {
			return "the deep probe is off (--deep-url or --health-url is empty), so hsup does not notice"
		}
		return fmt.Sprintf("hsup restarts the app after %d failed deep probes (within about %s), reason deep", h.DeepFailures, short(budget["deep"].Worst))
	case "freeze":
		if budget["heartbeat"].Off {
			return "the heartbeat check is off (--heartbeat-field or --health-url is empty), so hsup does not notice"
		}
		return fmt.Sprintf("hsup restarts the app once it has not moved for %s (about %s), reason heartbeat", short(h.HeartbeatStale), short(budget["heartbeat"].Worst))
	case "busy":
		if budget["busy"].Off {
			return "hsup does not probe (--health-url is empty), so it does not notice"
		}
		return fmt.Sprintf("hsup waits for %d of them in a row (about %s), then restarts the app, reason busy", h.BusyFailures, short(time.Duration(h.BusyFailures)*h.Interval))
	case "leak":
		return leakDoes(s)
	case "crash":
		return crashDoes(s)
	}
	return ""
}

// leakPerCall is the handles one `curl -X POST .../demo/leak?n=300` opens.
const leakPerCall = 300

func leakDoes(s settings) string {
	restart := "but does not restart it unless --fd-restart is set"
	if s.fdRestart > 0 {
		restart = fmt.Sprintf("and restarts it at %.0f%%, reason fd_pressure", s.fdRestart*100)
	}
	switch {
	case s.fdWarn == 0 && s.fdRestart == 0:
		return "hsup's FD watch is off (--fd-warn=0, --fd-restart=0), so it does not notice until the app fails"
	case s.fdWarn == 0:
		return "hsup " + strings.TrimPrefix(restart, "and ")
	case s.nofile == 0:
		return fmt.Sprintf("once it crosses %.0f%% of the FD limit it inherits, hsup logs a warning and writes one diagnostics bundle, %s", s.fdWarn*100, restart)
	}
	calls := int(math.Ceil(s.fdWarn * float64(s.nofile) / leakPerCall))
	return fmt.Sprintf("after about %d calls it crosses %.0f%% of its %d FD limit and hsup logs a warning and writes one diagnostics bundle, %s",
		calls, s.fdWarn*100, s.nofile, restart)
}

func crashDoes(s settings) string {
	if s.restart == supervise.RestartNever {
		return "hsup does not restart it (--restart=never) and exits with its code"
	}
	return fmt.Sprintf("hsup restarts it after a backoff of up to %s, reason exit", short(s.backoff.Min))
}

// short is a duration as a person writes it: 1m, not 1m0s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
