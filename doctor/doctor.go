package doctor

import (
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"
)

// Input is everything doctor looks at. Durations and counts are the run
// flags' values after the CLI has validated them (see cmd/hsup's
// readSettings), so doctor warns only about settings that work badly, not
// about ones that cannot work; the Nofile* fields come from fdlimit.Plan.
type Input struct {
	// GOOS is the target platform ("linux", "darwin"); PID is hsup's own
	// process id (1 when it is a container's init).
	GOOS string
	PID  int

	HealthURL      string // "" disables all HTTP probing
	HealthInterval time.Duration
	HealthTimeout  time.Duration
	HealthFailures int
	DeepURL        string // "" disables the deep probe
	DeepInterval   time.Duration
	DeepTimeout    time.Duration
	DeepFailures   int
	HeartbeatField string // "" disables the heartbeat check
	HeartbeatStale time.Duration
	BusyFailures   int
	StartupGrace   time.Duration
	// AcceptStall is --accept-stall (0: the accept-queue watch is off);
	// AcceptWatched: the watch has a port on this machine (--listen-port,
	// or a health URL on this machine).
	AcceptStall   time.Duration
	AcceptWatched bool

	StopGrace   time.Duration
	BackoffMin  time.Duration
	BackoffMax  time.Duration
	MetricsAddr string // "" disables /metrics and /healthz
	Pprof       bool
	FDWarn      float64 // fraction of RLIMIT_NOFILE; 0 disables
	FDRestart   float64 // fraction of RLIMIT_NOFILE; 0 disables

	// The child's RLIMIT_NOFILE as fdlimit plans it: what --nofile asked
	// for (0 = inherit), the soft limit it would get, the hard limit, the
	// macOS kern.maxfilesperproc cap (0 = none), why, and Plan's error.
	// With --nofile=0 Soft and Hard are the limits the child inherits
	// (hsup's start-up limits, which the CLI reads from a child of its
	// own: Go raises its own soft limit at start-up); Soft 0 means they
	// were not read. RLIM_INFINITY (either platform's) means unlimited.
	NofileWant   uint64
	NofileSoft   uint64
	NofileHard   uint64
	NofileCap    uint64
	NofileReason string
	NofileErr    string

	// ManagerStopTimeout is the service manager's stop timeout when the
	// caller knows it; 0 means the manager's default.
	ManagerStopTimeout time.Duration

	// macOS facts, gathered by the CLI on darwin only; elsewhere they are
	// empty and doctor says nothing about them. UID is hsup's user id (the
	// gui/UID and user/UID domains); GUISession is "yes" when this user is
	// logged in at the console (owns /dev/console), "no" when not,
	// "unknown" when that could not be told, "" when the facts were not
	// gathered, and GUIEvidence says how it was told; JobPlist is
	// the plist file named after the job's label (XPC_SERVICE_NAME) found
	// in /Library/LaunchDaemons, ~/Library/LaunchAgents or
	// /Library/LaunchAgents, "" when none was found or hsup is not a job.
	UID         int
	GUISession  string
	GUIEvidence string
	JobPlist    string

	// Plist is the launchd plist `hsup doctor --plist` points at, on any
	// platform, "" when none: doctor judges --stop-grace against its
	// ExitTimeOut, or against JobPlist's when Plist is "". ReadFile reads
	// them; nil reads nothing (every plist is unreadable).
	Plist    string
	ReadFile func(name string) ([]byte, error)

	// EUID is hsup's effective user id: py-spy needs root (0) on macOS
	// to read another process's memory, so diagnose skips it otherwise.
	EUID int

	// The paths a LaunchAgent or LaunchDaemon must read, checked against
	// the folders macOS guards with TCC (darwin only): hsup's own
	// executable, the program as hsup execs it (absolute) and its symlink
	// target when that differs, the program's arguments, the working
	// directory, and the home directory the "~" folders are under.
	Executable    string
	Program       string
	ProgramTarget string
	Args          []string
	WorkDir       string
	Home          string

	// LookPath reports whether a collector program is installed; Getenv
	// reads hsup's environment. Nil means "nothing found" / "unset".
	LookPath func(name string) bool
	Getenv   func(key string) string
}

// Budget is the worst-case time from the moment a failure class starts
// until hsup decides to restart.
type Budget struct {
	Class   string        // cheap, deep, heartbeat, busy, startup, accept_stall
	Off     bool          // the class is disabled
	Worst   time.Duration // valid when !Off
	Formula string        // how Worst is computed, e.g. "3 x 5s + 2s"
}

// Collector is a diagnostics program and whether it is installed.
type Collector struct {
	Name      string
	Available bool
	Purpose   string
	// Skipped says why an installed collector will not run, "" when it
	// will.
	Skipped string
}

// Manager is the service manager that started hsup.
type Manager struct {
	Name        string        // launchd, systemd, kubernetes, container, none
	Evidence    string        // the environment that gave it away
	StopTimeout time.Duration // how long it waits after its stop signal
	Watchdog    time.Duration // systemd WatchdogSec (from WATCHDOG_USEC), 0 if none
}

// Report is doctor's answer.
type Report struct {
	Budgets    []Budget
	Nofile     string
	Collectors []Collector
	Manager    Manager
	Launchd    Launchd // macOS only; zero elsewhere
	// LaunchdStop is launchd's stop timeout when launchd starts hsup, or
	// would (doctor run from a terminal on macOS), or Input.Plist names a
	// plist; zero otherwise.
	LaunchdStop LaunchdStop
	Warnings    []string
}

// ExitCode is 0 for a clean report and 1 when there are warnings.
func (r Report) ExitCode() int {
	if len(r.Warnings) > 0 {
		return 1
	}
	return 0
}

// Check builds the report for in.
func Check(in Input) Report {
	in = withDefaults(in)
	r := Report{
		Budgets:    Budgets(in),
		Nofile:     nofileLine(in),
		Collectors: collectors(in),
		Manager:    DetectManager(in),
	}
	r.LaunchdStop = launchdStop(in, r.Manager)
	if r.Manager.Name == "launchd" && in.ManagerStopTimeout == 0 {
		r.Manager.StopTimeout = r.LaunchdStop.Timeout
	}
	r.Launchd = launchdFacts(in, r.Manager)
	r.Warnings = warnings(in, r)
	return r
}

func withDefaults(in Input) Input {
	if in.LookPath == nil {
		in.LookPath = func(string) bool { return false }
	}
	if in.Getenv == nil {
		in.Getenv = func(string) string { return "" }
	}
	if in.ReadFile == nil {
		in.ReadFile = func(name string) ([]byte, error) {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
	}
	return in
}

// deepEnabled reports whether the deep probe runs: it needs HTTP probing.
func (in Input) deepEnabled() bool { return in.HealthURL != "" && in.DeepURL != "" }

// heartbeatEnabled reports whether heartbeat staleness is checked.
func (in Input) heartbeatEnabled() bool { return in.HealthURL != "" && in.HeartbeatField != "" }

// Budgets computes the worst-case detection time of each failure class.
func Budgets(in Input) []Budget {
	probing := in.HealthURL != ""
	times := func(n int, every, timeout time.Duration) (time.Duration, string) {
		return time.Duration(n)*every + timeout, fmt.Sprintf("%d x %s + %s", n, every, timeout)
	}
	var b []Budget
	add := func(class string, on bool, worst time.Duration, formula string) {
		if !on {
			b = append(b, Budget{Class: class, Off: true})
			return
		}
		b = append(b, Budget{Class: class, Worst: worst, Formula: formula})
	}
	w, f := times(in.HealthFailures, in.HealthInterval, in.HealthTimeout)
	add("cheap", probing, w, f)
	w, f = times(in.DeepFailures, in.DeepInterval, in.DeepTimeout)
	add("deep", in.deepEnabled(), w, f)
	add("heartbeat", in.heartbeatEnabled(), in.HeartbeatStale+in.HealthInterval,
		fmt.Sprintf("%s + %s", in.HeartbeatStale, in.HealthInterval))
	w, f = times(in.BusyFailures, in.HealthInterval, in.HealthTimeout)
	add("busy", probing, w, f)
	add("startup", probing, in.StartupGrace+in.HealthInterval,
		fmt.Sprintf("%s + %s", in.StartupGrace, in.HealthInterval))
	b = append(b, acceptBudget(in))
	return b
}

// acceptBudget is the accept-queue watch's: a stall is due --accept-stall
// after the first connection that waits came in (the kernel tells when),
// and with no traffic but hsup's the next probe is that connection.
func acceptBudget(in Input) Budget {
	switch {
	case in.AcceptStall <= 0 || !in.AcceptWatched:
		return Budget{Class: "accept_stall", Off: true}
	case in.HealthURL == "":
		return Budget{Class: "accept_stall", Worst: in.AcceptStall,
			Formula: fmt.Sprintf("%s once a connection waits; no probe connects", in.AcceptStall)}
	}
	return Budget{Class: "accept_stall", Worst: in.HealthInterval + in.AcceptStall,
		Formula: fmt.Sprintf("%s + %s with no traffic but the probes; %s once a connection waits", in.HealthInterval, in.AcceptStall, in.AcceptStall)}
}

func nofileLine(in Input) string {
	if in.NofileErr != "" {
		return "unknown: " + in.NofileErr
	}
	if in.NofileWant == 0 && in.NofileSoft == 0 {
		return "inherited from hsup (not measured)"
	}
	s := fmt.Sprintf("%s (wanted %d, hard %s", FormatLimit(in.NofileSoft), in.NofileWant, FormatLimit(in.NofileHard))
	if in.NofileWant == 0 {
		s = fmt.Sprintf("%s (inherited, hard %s", FormatLimit(in.NofileSoft), FormatLimit(in.NofileHard))
	}
	if in.NofileCap > 0 {
		s += fmt.Sprintf(", kern.maxfilesperproc %d", in.NofileCap)
	}
	s += ")"
	if in.NofileReason != "" {
		s += ": " + in.NofileReason
	}
	return s
}

// Unlimited is what FormatLimit prints for RLIM_INFINITY.
const Unlimited = "unlimited"

// FormatLimit prints a resource limit: RLIM_INFINITY is "unlimited" on
// either platform (all bits set on Linux, math.MaxInt64 on macOS), never
// 18446744073709551615 or 9223372036854775807.
func FormatLimit(n uint64) string {
	if n == math.MaxUint64 || n == math.MaxInt64 {
		return Unlimited
	}
	return strconv.FormatUint(n, 10)
}

// ParseLimit reads a limit as `ulimit -n` prints it: a number, or
// "unlimited" (returned as math.MaxUint64).
func ParseLimit(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == Unlimited {
		return math.MaxUint64, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse limit %q: want a number or %q", s, Unlimited)
	}
	return n, nil
}

func collectors(in Input) []Collector {
	fds := "open files by kind (lsof.txt; without it, fds.txt from /proc on Linux)"
	c := []Collector{
		{Name: "lsof", Purpose: fds},
		{Name: "py-spy", Purpose: "Python thread stacks (py-stack.txt)"},
	}
	if in.GOOS == "darwin" {
		c = append(c, Collector{Name: "sample", Purpose: "native thread samples (threads.txt)"})
	}
	for i := range c {
		c[i].Available = in.LookPath(c[i].Name)
		if c[i].Available && c[i].Name == "py-spy" {
			c[i].Skipped = pySpySkipped(in)
		}
	}
	return c
}

// pySpySkipped says why diagnose will not run an installed py-spy: it
// reads the child's memory, which macOS allows only to root, so diagnose
// skips it there without root rather than record a failure.
func pySpySkipped(in Input) string {
	if in.GOOS != "darwin" || in.EUID == 0 {
		return ""
	}
	return fmt.Sprintf("found, but py-spy needs root on macOS and this is uid %d; for Python stacks use --dump-signal=USR1 with faulthandler", in.EUID)
}
