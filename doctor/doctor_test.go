package doctor

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/launchd"
	"github.com/hsup/hsup/managed"
)

// defaults mirrors the run flags' defaults on a Linux box started by hand.
func defaults() Input {
	return Input{
		GOOS: "linux", PID: 4242,
		HealthURL: "http://127.0.0.1:8787/health", HealthInterval: 5 * time.Second, HealthTimeout: 2 * time.Second,
		HealthFailures: 3, DeepURL: "http://127.0.0.1:8787/health?deep=1", DeepInterval: 60 * time.Second, DeepTimeout: 10 * time.Second,
		DeepFailures: 2, HeartbeatField: "accept_loop.requests_total", HeartbeatStale: 30 * time.Second,
		BusyFailures: 12, StartupGrace: 60 * time.Second, StopGrace: 10 * time.Second,
		AcceptStall: 2 * time.Second, AcceptWatched: true,
		BackoffMin: time.Second, BackoffMax: 60 * time.Second, MetricsAddr: "127.0.0.1:9464", FDWarn: 0.8,
		NofileWant: 4096, NofileSoft: 4096, NofileHard: 1048576, NofileReason: "raised to --nofile",
		LookPath: func(name string) bool { return name == "lsof" },
	}
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestBudgets(t *testing.T) {
	tests := []struct {
		name  string
		input func(Input) Input
		want  string // class=worst, "off" for disabled
	}{
		{name: "defaults", input: func(in Input) Input { return in },
			want: "cheap=17s deep=2m10s heartbeat=35s busy=1m2s startup=1m5s accept_stall=7s"},
		{name: "no health url disables everything", input: func(in Input) Input { in.HealthURL = ""; return in },
			want: "cheap=off deep=off heartbeat=off busy=off startup=off accept_stall=2s"},
		{name: "no deep url", input: func(in Input) Input { in.DeepURL = ""; return in },
			want: "cheap=17s deep=off heartbeat=35s busy=1m2s startup=1m5s accept_stall=7s"},
		{name: "no heartbeat field", input: func(in Input) Input { in.HeartbeatField = ""; return in },
			want: "cheap=17s deep=2m10s heartbeat=off busy=1m2s startup=1m5s accept_stall=7s"},
		{name: "tight probing", input: func(in Input) Input {
			in.HealthInterval, in.HealthTimeout, in.HealthFailures = time.Second, 500*time.Millisecond, 2
			in.DeepInterval, in.DeepTimeout, in.DeepFailures = 30*time.Second, 5*time.Second, 1
			in.HeartbeatStale, in.BusyFailures, in.StartupGrace = 10*time.Second, 20, 15*time.Second
			return in
		}, want: "cheap=2.5s deep=35s heartbeat=11s busy=20.5s startup=16s accept_stall=3s"},
		{name: "accept-queue watch off", input: func(in Input) Input { in.AcceptStall = 0; return in },
			want: "cheap=17s deep=2m10s heartbeat=35s busy=1m2s startup=1m5s accept_stall=off"},
		{name: "no port to watch", input: func(in Input) Input { in.AcceptWatched = false; return in },
			want: "cheap=17s deep=2m10s heartbeat=35s busy=1m2s startup=1m5s accept_stall=off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, b := range Budgets(tt.input(defaults())) {
				v := b.Worst.String()
				if b.Off {
					v = "off"
				}
				got = append(got, b.Class+"="+v)
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Fatalf("budgets = %s, want %s", g, tt.want)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name  string
		input func(Input) Input
		want  string // substring of the only warning; "" for none
	}{
		{name: "defaults on linux", input: func(in Input) Input { return in }},
		{name: "macOS, grace and margin within launchd's default stop timeout", input: func(in Input) Input {
			in.GOOS, in.StopGrace = "darwin", launchd.DefaultExitTimeOut-managed.StopMargin
			return in
		}},
		{name: "macOS, grace within launchd's default stop timeout but not the margin", input: func(in Input) Input {
			in.GOOS, in.StopGrace = "darwin", launchd.DefaultExitTimeOut-time.Second
			return in
		}, want: fmt.Sprintf("--stop-grace 4s leaves hsup 1s of the launchd stop timeout %s (hsup would be installed under)", launchd.DefaultExitTimeOut)},
		{name: "defaults under systemd", input: func(in Input) Input {
			in.Getenv = env("INVOCATION_ID", "x", "NOTIFY_SOCKET", "/run/systemd/notify", "WATCHDOG_USEC", "30000000")
			return in
		}},
		{name: "probing off", input: func(in Input) Input { in.HealthURL = ""; return in }, want: "--health-url is empty"},
		{name: "deep probe too often", input: func(in Input) Input { in.DeepInterval = 10 * time.Second; in.DeepTimeout = 5 * time.Second; return in },
			want: "--deep-interval 10s is under 30s"},
		{name: "deep timeout over interval", input: func(in Input) Input { in.DeepTimeout = 90 * time.Second; return in },
			want: "--deep-timeout 1m30s is not below"},
		{name: "stale heartbeat flaps", input: func(in Input) Input { in.HeartbeatStale = 12 * time.Second; return in },
			want: "--heartbeat-stale 12s is under 3 probe intervals"},
		{name: "health timeout at interval", input: func(in Input) Input { in.HealthTimeout = 5 * time.Second; return in },
			want: "--health-timeout 5s is not below --health-interval 5s"},
		{name: "slow detection", input: func(in Input) Input { in.HealthInterval, in.HeartbeatStale = 30*time.Second, 2*time.Minute; return in },
			want: "detected only after 1m32s"},
		{name: "busy less patient than broken", input: func(in Input) Input { in.BusyFailures = 2; return in },
			want: "--busy-failures 2 is below --health-failures 3"},
		{name: "startup grace too short", input: func(in Input) Input { in.StartupGrace = 5 * time.Second; return in },
			want: "--startup-grace 5s leaves no time"},
		{name: "grace beyond launchd default", input: func(in Input) Input {
			in.GOOS, in.StopGrace = "darwin", launchd.DefaultExitTimeOut+5*time.Second
			return in
		}, want: fmt.Sprintf("launchd stop timeout %s (hsup would be installed under)", launchd.DefaultExitTimeOut)},
		{name: "grace beyond systemd default under systemd", input: func(in Input) Input {
			in.Getenv, in.StopGrace = env("NOTIFY_SOCKET", "/run/n"), 2*time.Minute
			return in
		}, want: "systemd stop timeout 1m30s (that starts hsup)"},
		{name: "grace within systemd's stop timeout but not the margin", input: func(in Input) Input {
			in.Getenv, in.StopGrace = env("NOTIFY_SOCKET", "/run/n"), 88*time.Second
			return in
		}, want: "--stop-grace 1m28s leaves hsup 2s of the systemd stop timeout 1m30s (that starts hsup) to kill the child's group and exit, under the 5s margin hsup allows; generate the unit with `hsup systemd unit` (TimeoutStopSec = grace + 5s) or lower --stop-grace to 1m25s"},
		{name: "grace fits a known longer timeout", input: func(in Input) Input {
			in.Getenv, in.StopGrace, in.ManagerStopTimeout = env("NOTIFY_SOCKET", "/run/n"), 2*time.Minute, 125*time.Second
			return in
		}},
		{name: "grace equals docker stop timeout", input: func(in Input) Input { in.PID, in.MetricsAddr = 1, ":9464"; return in },
			want: "docker stop -t"},
		{name: "systemd without notify", input: func(in Input) Input { in.Getenv = env("INVOCATION_ID", "abc"); return in },
			want: "without NOTIFY_SOCKET"},
		{name: "tiny systemd watchdog", input: func(in Input) Input {
			in.Getenv = env("NOTIFY_SOCKET", "/run/n", "WATCHDOG_USEC", "1000000")
			return in
		}, want: "WatchdogSec 1s is under 2s"},
		{name: "nofile clamped", input: func(in Input) Input {
			in.NofileSoft, in.NofileHard, in.NofileCap, in.NofileReason = 2560, 2560, 0, "clamped to hard limit"
			return in
		}, want: "gets RLIMIT_NOFILE 2560, not the 4096"},
		{name: "nofile inherits launchd 256", input: func(in Input) Input { in.NofileWant, in.NofileSoft = 0, 256; return in },
			want: "inherits a soft RLIMIT_NOFILE of 256"},
		{name: "nofile plan failed", input: func(in Input) Input { in.NofileErr = "getrlimit: EPERM"; return in },
			want: "cannot tell the child's RLIMIT_NOFILE"},
		{name: "fd restart below warn", input: func(in Input) Input { in.FDRestart = 0.5; return in },
			want: "--fd-restart 0.5 is not above --fd-warn 0.8"},
		{name: "fd fraction at 1", input: func(in Input) Input { in.FDWarn = 1; return in },
			want: "between 0 and 1"},
		{name: "backoff without a minimum", input: func(in Input) Input { in.BackoffMin = 0; return in },
			want: "backoff 0s..1m0s: the minimum must be above 0"},
		{name: "pprof on the network", input: func(in Input) Input { in.Pprof, in.MetricsAddr = true, "0.0.0.0:9464"; return in },
			want: "exposes heap and goroutine dumps"},
		{name: "pprof on loopback is fine", input: func(in Input) Input { in.Pprof = true; return in }},
		{name: "loopback metrics under kubernetes", input: func(in Input) Input {
			in.Getenv, in.StopGrace = env("KUBERNETES_SERVICE_HOST", "10.0.0.1"), 10*time.Second
			return in
		}, want: "kubelet probes and Prometheus cannot reach"},
		{name: "no metrics under kubernetes", input: func(in Input) Input {
			in.Getenv, in.MetricsAddr = env("KUBERNETES_SERVICE_HOST", "10.0.0.1"), ""
			return in
		}, want: "no /healthz for liveness"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(tt.input(defaults()))
			if tt.want == "" {
				if len(r.Warnings) != 0 || r.ExitCode() != 0 {
					t.Fatalf("want no warnings, got exit %d: %q", r.ExitCode(), r.Warnings)
				}
				return
			}
			if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], tt.want) {
				t.Fatalf("want one warning containing %q, got %q", tt.want, r.Warnings)
			}
			if r.ExitCode() != 1 {
				t.Errorf("ExitCode = %d, want 1", r.ExitCode())
			}
		})
	}
}

func TestDetectManager(t *testing.T) {
	tests := []struct {
		name   string
		getenv func(string) string
		pid    int
		want   string
	}{
		{name: "launchd job", getenv: env("XPC_SERVICE_NAME", "com.example.webui"), want: "launchd stop=" + launchd.DefaultExitTimeOut.String()},
		{name: "macOS terminal", getenv: env("XPC_SERVICE_NAME", "0"), want: "none stop=0s"},
		{name: "IDE terminal", getenv: env("XPC_SERVICE_NAME", "application.com.microsoft.VSCode.81289117.81289123"), want: "none stop=0s"},
		{name: "systemd notify", getenv: env("NOTIFY_SOCKET", "/run/systemd/notify", "WATCHDOG_USEC", "30000000"), want: "systemd stop=1m30s watchdog=30s"},
		{name: "systemd simple", getenv: env("INVOCATION_ID", "abc"), want: "systemd stop=1m30s"},
		{name: "watchdog ignored outside systemd", getenv: env("WATCHDOG_USEC", "30000000"), want: "none stop=0s"},
		{name: "kubernetes", getenv: env("KUBERNETES_SERVICE_HOST", "10.0.0.1"), pid: 1, want: "kubernetes stop=30s"},
		{name: "container init", getenv: env(), pid: 1, want: "container stop=10s"},
		{name: "terminal", getenv: nil, want: "none stop=0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := DetectManager(Input{Getenv: tt.getenv, PID: tt.pid})
			got := fmt.Sprintf("%s stop=%s", m.Name, m.StopTimeout)
			if m.Watchdog > 0 {
				got += fmt.Sprintf(" watchdog=%s", m.Watchdog)
			}
			if got != tt.want {
				t.Fatalf("DetectManager = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCollectors(t *testing.T) {
	all := func(string) bool { return true }
	tests := []struct {
		name     string
		goos     string
		euid     int
		lookPath func(string) bool
		want     string // py-spy's line in the report, spaces squeezed
	}{
		{name: "linux user", goos: "linux", euid: 1000, lookPath: all, want: "py-spy found Python thread stacks (py-stack.txt)"},
		{name: "macOS root", goos: "darwin", euid: 0, lookPath: all, want: "py-spy found Python thread stacks (py-stack.txt)"},
		{name: "macOS user", goos: "darwin", euid: 501, lookPath: all,
			want: "py-spy skipped Python thread stacks (py-stack.txt): found, but py-spy needs root on macOS and this is uid 501; for Python stacks use --dump-signal=USR1 with faulthandler"},
		{name: "macOS user without py-spy", goos: "darwin", euid: 501, lookPath: func(n string) bool { return n != "py-spy" },
			want: "py-spy missing Python thread stacks (py-stack.txt)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := defaults()
			in.GOOS, in.EUID, in.LookPath = tt.goos, tt.euid, tt.lookPath
			var b bytes.Buffer
			if err := Check(in).Write(&b); err != nil {
				t.Fatal(err)
			}
			got := ""
			for l := range strings.Lines(b.String()) {
				if strings.HasPrefix(l, "  py-spy ") {
					got = strings.Join(strings.Fields(l), " ")
				}
			}
			if got != tt.want {
				t.Fatalf("py-spy line = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWriteWithWarnings(t *testing.T) {
	in := defaults()
	in.GOOS, in.DeepInterval, in.DeepTimeout = "darwin", 10*time.Second, 5*time.Second
	in.LookPath = func(name string) bool { return name == "sample" }
	r := Check(in)
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"deep          25s", "sample  found", "lsof    missing", "Warnings:\n  - --deep-interval 10s"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

func Example() {
	in := defaults()
	in.Getenv = env("NOTIFY_SOCKET", "/run/systemd/notify", "WATCHDOG_USEC", "30000000")
	r := Check(in)
	_ = r.Write(os.Stdout)
	fmt.Println("exit", r.ExitCode())
	// Output:
	// Worst-case detection time (failure start to restart decision):
	//   cheap         17s    (3 x 5s + 2s)
	//   deep          2m10s  (2 x 1m0s + 10s)
	//   heartbeat     35s    (30s + 5s)
	//   busy          1m2s   (12 x 5s + 2s)
	//   startup       1m5s   (1m0s + 5s)
	//   accept_stall  7s     (5s + 2s with no traffic but the probes; 2s once a connection waits)
	//
	// Child RLIMIT_NOFILE: 4096 (wanted 4096, hard 1048576): raised to --nofile
	//
	// Diagnostics collectors:
	//   lsof    found    open files by kind (lsof.txt; without it, fds.txt from /proc on Linux)
	//   py-spy  missing  Python thread stacks (py-stack.txt)
	//
	// Service manager: systemd (NOTIFY_SOCKET is set), stop timeout 1m30s, watchdog 30s (hsup pings every 15s)
	//
	// No warnings.
	// exit 0
}
