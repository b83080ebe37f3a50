package doctor

import (
	"fmt"
	"net"
	"time"

	"github.com/hsup/hsup/launchd"
)

// Thresholds behind the warnings.
const (
	// MinDeepInterval: the deep probe opens the state database and takes
	// locks; the maintainers ask for 30-60s between deep probes.
	MinDeepInterval = 30 * time.Second
	// MinStaleProbes: the heartbeat only moves when a probe connects, so
	// staleness under three probe intervals flaps on one slow probe or a
	// GC/GIL pause.
	MinStaleProbes = 3
	// SlowCheapBudget: beyond this a wedged child goes unnoticed too long.
	SlowCheapBudget = time.Minute
)

// warnings lists every setting that will flap, react too slowly, or be cut
// short, each as one line saying what and how to fix it.
func warnings(in Input, r Report) []string {
	var w []string
	add := func(format string, a ...any) { w = append(w, fmt.Sprintf(format, a...)) }
	w = append(w, probeWarnings(in)...)
	// The flags refuse a maximum below the minimum; a zero minimum passes.
	if in.BackoffMin <= 0 {
		add("backoff %s..%s: the minimum must be above 0, or a crashing child restarts in a tight loop; set --backoff-min 1s --backoff-max 60s", in.BackoffMin, in.BackoffMax)
	}
	w = append(w, stopWarnings(in, r.Manager, r.LaunchdStop)...)
	w = append(w, nofileWarnings(in, r.Manager)...)
	w = append(w, listenWarnings(in, r.Manager)...)
	w = append(w, sessionWarnings(in, r.Launchd)...)
	w = append(w, tccWarnings(in)...)
	return w
}

func probeWarnings(in Input) []string {
	var w []string
	add := func(format string, a ...any) { w = append(w, fmt.Sprintf(format, a...)) }
	if in.HealthURL == "" {
		add("--health-url is empty: no probing at all, so a child that is alive but not serving is never restarted; set --health-url")
		return w
	}
	// healthcheck.Config.Validate has refused what cannot work (counts
	// under 1, intervals and timeouts not positive, a heartbeat staleness
	// within one probe gap); what is left is what works badly.
	w = append(w, TimeoutWarnings(in)...)
	if b := time.Duration(in.HealthFailures)*in.HealthInterval + in.HealthTimeout; b > SlowCheapBudget {
		add("a wedged child is detected only after %s (%d x %s + %s); lower --health-interval or --health-failures", b, in.HealthFailures, in.HealthInterval, in.HealthTimeout)
	}
	if in.BusyFailures < in.HealthFailures {
		add("--busy-failures %d is below --health-failures %d: a child whose workers are all busy with streams is restarted sooner than a broken one; keep busy more patient", in.BusyFailures, in.HealthFailures)
	}
	if in.StartupGrace < in.HealthInterval+in.HealthTimeout {
		add("--startup-grace %s leaves no time for one probe (%s + %s): the child is restarted before it can answer; raise it above the time the app takes to start", in.StartupGrace, in.HealthInterval, in.HealthTimeout)
	}
	if in.deepEnabled() {
		if in.DeepInterval < MinDeepInterval {
			add("--deep-interval %s is under %s: the deep probe opens the database and takes locks, so probing it often adds the load it is meant to detect; use 30s-60s", in.DeepInterval, MinDeepInterval)
		}
	}
	if in.heartbeatEnabled() && in.HeartbeatStale < MinStaleProbes*in.HealthInterval {
		add("--heartbeat-stale %s is under %d probe intervals (%s): one slow probe or a GC/GIL pause makes the heartbeat look stale and restarts a healthy child; use at least %s", in.HeartbeatStale, MinStaleProbes, in.HealthInterval, MinStaleProbes*in.HealthInterval)
	}
	return w
}

// TimeoutWarnings are the warnings about a probe whose timeout is not
// below its interval, so that probes overlap: part of doctor's report,
// and what `hsup run` warns about at start. Only the probe fields of in
// are read.
func TimeoutWarnings(in Input) []string {
	var w []string
	if in.HealthURL == "" {
		return nil
	}
	if in.HealthTimeout >= in.HealthInterval {
		w = append(w, fmt.Sprintf("--health-timeout %s is not below --health-interval %s: probes overlap and a slow child is probed back to back; keep the timeout under the interval", in.HealthTimeout, in.HealthInterval))
	}
	if in.deepEnabled() && in.DeepTimeout >= in.DeepInterval {
		w = append(w, fmt.Sprintf("--deep-timeout %s is not below --deep-interval %s; keep the timeout under the interval", in.DeepTimeout, in.DeepInterval))
	}
	return w
}

func nofileWarnings(in Input, m Manager) []string {
	w := nofileLimitWarnings(in, m)
	// The flags refuse fractions outside 0..1; 1 itself passes.
	if in.FDWarn >= 1 || in.FDRestart >= 1 {
		w = append(w, fmt.Sprintf("--fd-warn %g / --fd-restart %g: fractions must be between 0 and 1 (exclusive); at 1 the child is already failing with EMFILE", in.FDWarn, in.FDRestart))
	}
	if in.FDRestart > 0 && in.FDWarn > 0 && in.FDRestart <= in.FDWarn {
		w = append(w, fmt.Sprintf("--fd-restart %g is not above --fd-warn %g: the restart comes before the warning bundle that would explain it; keep fd-restart above fd-warn", in.FDRestart, in.FDWarn))
	}
	return w
}

func nofileLimitWarnings(in Input, m Manager) []string {
	switch {
	case in.NofileErr != "":
		return []string{"cannot tell the child's RLIMIT_NOFILE: " + in.NofileErr}
	case in.NofileWant > 0 && in.NofileSoft < in.NofileWant:
		return []string{fmt.Sprintf("the child gets RLIMIT_NOFILE %d, not the %d --nofile asks for (%s); raise the hard limit (systemd LimitNOFILE=, launchd HardResourceLimits NumberOfFiles, ulimit -Hn)", in.NofileSoft, in.NofileWant, in.NofileReason)}
	case in.NofileWant == 0 && in.NofileSoft > 0 && in.NofileSoft <= launchd.DefaultSoftNoFile:
		return []string{fmt.Sprintf("--nofile 0 inherits a soft RLIMIT_NOFILE of %d (launchd's default is %d): a server leaking a few handles runs out quickly; set --nofile 4096", in.NofileSoft, launchd.DefaultSoftNoFile)}
	case in.NofileWant == 0 && in.GOOS == "darwin" && m.Name != "launchd":
		here := ""
		if in.NofileSoft > 0 {
			here = fmt.Sprintf(" of %s here", FormatLimit(in.NofileSoft))
		}
		return []string{fmt.Sprintf("--nofile 0 inherits a soft RLIMIT_NOFILE%s, but under launchd a job inherits launchd's default of %d: a server leaking a few handles runs out quickly; set --nofile 4096", here, launchd.DefaultSoftNoFile)}
	}
	return nil
}

func listenWarnings(in Input, m Manager) []string {
	var w []string
	if in.MetricsAddr == "" {
		if m.Name == "kubernetes" {
			w = append(w, "--metrics-addr is empty under Kubernetes: there is no /healthz for liveness and readiness probes; set --metrics-addr :9464")
		}
		return w
	}
	// The flags refuse an address that is not host:port.
	host, _, _ := net.SplitHostPort(in.MetricsAddr)
	loopback := host == "localhost" || net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback()
	if in.Pprof && !loopback {
		w = append(w, fmt.Sprintf("--pprof on the non-loopback --metrics-addr %s exposes heap and goroutine dumps to the network; bind to 127.0.0.1 or drop --pprof", in.MetricsAddr))
	}
	if loopback && (m.Name == "kubernetes" || m.Name == "container") {
		w = append(w, fmt.Sprintf("--metrics-addr %s is loopback inside a %s: kubelet probes and Prometheus cannot reach /healthz or /metrics; bind to :9464", in.MetricsAddr, m.Name))
	}
	return w
}
