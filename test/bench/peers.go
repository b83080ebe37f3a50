package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// installHint is printed for every missing peer binary.
const installHint = "apt-get install runit daemontools s6 supervisor monit"

// peer is one supervisor bench runs over the same child as hsup. bin is
// the binary that must be on PATH; the process measured for idle cost is
// the one bench starts (runsv, supervise, s6-supervise, supervisord's
// python, monit).
type peer struct {
	name string // row label
	bin  string // looked up on PATH
	pkg  string // Debian package that ships bin
}

var (
	peerRunit       = peer{name: "runit (runsv)", bin: "runsv", pkg: "runit"}
	peerDaemontools = peer{name: "daemontools (supervise)", bin: "supervise", pkg: "daemontools"}
	peerS6          = peer{name: "s6 (s6-supervise)", bin: "s6-supervise", pkg: "s6"}
	peerSupervisord = peer{name: "supervisord", bin: "supervisord", pkg: "supervisor"}
	peerMonit       = peer{name: "monit", bin: "monit", pkg: "monit"}
)

// restartPeers restart a killed child by themselves; monit only polls.
var restartPeers = []peer{peerRunit, peerDaemontools, peerS6, peerSupervisord}

// missing is the table line for a peer whose binary is not on PATH.
func (p peer) missing() string {
	return fmt.Sprintf("%s not on PATH (package %s; %s)", p.bin, p.pkg, installHint)
}

// wedgeBudget is what a probe policy allows before it restarts: failures
// x interval + timeout, the same formula as the detect part.
func wedgeBudget(failures int, interval, timeout time.Duration) time.Duration {
	return time.Duration(failures)*interval + timeout
}

// shellQuote quotes s for /bin/sh with single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// runScript is the ./run of a runit, daemontools or s6 service directory:
// it execs the child so the supervisor's direct child is the app itself.
func runScript(argv []string) string {
	return "#!/bin/sh\nexec 2>&1\nexec " + shellJoin(argv) + "\n"
}

// supervisordConf runs argv as the only program, restarted at once:
// startsecs=0 counts it as started immediately, autorestart=true on any exit.
func supervisordConf(dir string, argv []string) string {
	return fmt.Sprintf(`[supervisord]
nodaemon=true
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s

[program:demo]
command=%[2]s
autostart=true
autorestart=true
startsecs=0
startretries=1000000
stopsignal=TERM
stopwaitsecs=5
stdout_logfile=%[1]s/demo.log
redirect_stderr=true
`, dir, shellJoin(argv))
}

// monitConf is the tightest HTTP check monit allows: a 1 s cycle, a 1 s
// request timeout and 2 failed cycles. monit needs a pidfile, so the start
// program runs the app detached and writes its pid. monit splits program
// strings on blanks and single quotes, so dir and argv must hold neither
// (plainWords checks).
func monitConf(dir string, port int, argv []string) string {
	pidfile := dir + "/demo.pid"
	start := "/bin/sh -c '" + strings.Join(argv, " ") + " >" + dir + "/demo.log 2>&1 & echo $! >" + pidfile + "'"
	stop := "/bin/sh -c 'kill -TERM $(cat " + pidfile + ")'"
	return fmt.Sprintf(`set daemon 1
set logfile %[1]s/monit.log
set pidfile %[1]s/monit.pid
set idfile %[1]s/monit.id
set statefile %[1]s/monit.state
check process demo with pidfile %[2]s
  start program = "%[3]s" with timeout 10 seconds
  stop program = "%[4]s" with timeout 10 seconds
  if failed host 127.0.0.1 port %[5]d protocol http request "/health" with timeout 1 seconds for 2 cycles then restart
`, dir, pidfile, start, stop, port)
}

// plainWords reports whether every word can go unquoted into a monit
// program string and a shell command line.
func plainWords(words ...string) bool {
	for _, w := range words {
		if w == "" || strings.ContainsAny(w, " \t\n'\"\\$`;&|<>()*?[]#~%") {
			return false
		}
	}
	return true
}

// pssKB is the Pss line of /proc/<pid>/smaps_rollup, in kB.
func pssKB(rollup string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(rollup))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "Pss:" {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("no Pss line in smaps_rollup (kernel older than 4.14?)")
}

// gaugeValue is the value of an unlabelled metric (go_goroutines) in a
// Prometheus text exposition.
func gaugeValue(exposition, name string) (float64, error) {
	sc := bufio.NewScanner(strings.NewReader(exposition))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == name {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, fmt.Errorf("no %s in the scrape; is this hsup's /metrics?", name)
}

// ratio is a/b, or 0 when b is not a measurement.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// Row names the targets refer to.
const (
	rowHsup      = "hsup"
	rowHsupTight = "hsup (tight)"
)

func findTiming(rows []TimingRow, name string) *TimingRow {
	for i := range rows {
		if rows[i].Name == name && rows[i].Skipped == "" && len(rows[i].MS) > 0 {
			return &rows[i]
		}
	}
	return nil
}

func findIdle(rows []IdleRow, name string) *IdleRow {
	for i := range rows {
		if rows[i].Name == name && rows[i].Skipped == "" {
			return &rows[i]
		}
	}
	return nil
}

// targets checks the brief's targets against what was measured; a target
// whose figures are missing (part not run, peer skipped) is left out.
func (p *PeersReport) targets() []Target {
	var out []Target
	if h, r := findTiming(p.Restart, rowHsup), findTiming(p.Restart, peerRunit.name); h != nil && r != nil {
		q := h.Median / r.Median
		out = append(out, Target{What: "restart latency hsup/runit <= 1.0", Met: q <= 1.0,
			Figure: fmt.Sprintf("%.2f (%.1f ms vs %.1f ms)", q, h.Median, r.Median)})
	}
	if h, m := findTiming(p.Wedge, rowHsupTight), findTiming(p.Wedge, peerMonit.name); h != nil && m != nil {
		q := m.Median / h.Median
		out = append(out, Target{What: "wedge to recovery >= 2x faster than monit", Met: q >= 2,
			Figure: fmt.Sprintf("%.2fx (%.0f ms vs %.0f ms)", q, h.Median, m.Median)})
	}
	out = append(out, wedgeStallTargets(p)...) // wedge_stall.go
	out = append(out, p.idleTargets()...)
	if h := p.Hygiene; h != nil {
		for _, r := range h.Rows {
			if r.What == "open FDs" || r.What == "goroutines" {
				d := r.AfterRestarts - r.Before
				out = append(out, Target{What: "zero " + r.What + " growth", Met: d <= 0, Figure: fmt.Sprintf("%+.0f", d)})
			}
		}
	}
	return out
}

func (p *PeersReport) idleTargets() []Target {
	h := findIdle(p.Idle, rowHsup)
	if h == nil {
		return nil
	}
	mib := float64(h.RSSKB) / 1024
	out := []Target{
		{What: "hsup VmRSS <= 8 MiB", Met: mib <= 8, Figure: fmt.Sprintf("%.1f MiB", mib)},
		{What: "hsup CPU < 0.05 s per minute at 1 probe/s", Met: h.CPUPerMin < 0.05, Figure: fmt.Sprintf("%.3f s/min", h.CPUPerMin)},
	}
	if s := findIdle(p.Idle, peerSupervisord.name); s != nil {
		q := ratio(float64(h.RSSKB), float64(s.RSSKB))
		out = append(out, Target{What: "hsup VmRSS <= 1/4 of supervisord's", Met: q > 0 && q <= 0.25,
			Figure: fmt.Sprintf("%.2f (%.1f vs %.1f MiB)", q, mib, float64(s.RSSKB)/1024)})
	}
	return out
}

// setRatios fills hsup_ratio of each peer row against the named hsup row.
func setRatios(rows []TimingRow, hsup string) {
	h := findTiming(rows, hsup)
	if h == nil {
		return
	}
	for i := range rows {
		if rows[i].Skipped == "" && rows[i].Name != hsup {
			rows[i].Ratio = ratio(h.Median, rows[i].Median)
		}
	}
}
