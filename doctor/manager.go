package doctor

import (
	"strconv"
	"time"

	"github.com/hsup/hsup/launchd"
	"github.com/hsup/hsup/systemd"
)

// Stop timeouts of the container runtimes, when their configuration does
// not set one. launchd's and systemd's live in their packages
// (launchd.DefaultExitTimeOut, systemd.DefaultTimeoutStopSec), next to the
// generators that set them.
const (
	DockerStopTimeout     = 10 * time.Second // docker stop -t
	KubernetesGracePeriod = 30 * time.Second // terminationGracePeriodSeconds
)

// DetectManager tells from hsup's environment which service manager
// started it, and how long that manager waits before SIGKILL.
func DetectManager(in Input) Manager {
	in = withDefaults(in)
	m := detect(in.Getenv, in.PID)
	if in.ManagerStopTimeout > 0 {
		m.StopTimeout = in.ManagerStopTimeout
	}
	if usec, err := strconv.ParseUint(in.Getenv("WATCHDOG_USEC"), 10, 63); err == nil && m.Name == "systemd" {
		m.Watchdog = time.Duration(usec) * time.Microsecond
	}
	return m
}

func detect(getenv func(string) string, pid int) Manager {
	// Terminal.app shells carry XPC_SERVICE_NAME=0: that is not a job.
	if v := getenv("XPC_SERVICE_NAME"); v != "" && v != "0" {
		return Manager{Name: "launchd", Evidence: "XPC_SERVICE_NAME=" + v, StopTimeout: launchd.DefaultExitTimeOut}
	}
	for _, k := range []string{"NOTIFY_SOCKET", "INVOCATION_ID"} {
		if getenv(k) != "" {
			return Manager{Name: "systemd", Evidence: k + " is set", StopTimeout: systemd.DefaultTimeoutStopSec}
		}
	}
	if getenv("KUBERNETES_SERVICE_HOST") != "" {
		return Manager{Name: "kubernetes", Evidence: "KUBERNETES_SERVICE_HOST is set", StopTimeout: KubernetesGracePeriod}
	}
	if pid == 1 {
		return Manager{Name: "container", Evidence: "hsup is PID 1", StopTimeout: DockerStopTimeout}
	}
	return Manager{Name: "none", Evidence: "no XPC_SERVICE_NAME, INVOCATION_ID or NOTIFY_SOCKET"}
}

// installTarget is the manager hsup will most likely be installed under
// when doctor runs from a terminal: launchd on macOS, systemd elsewhere.
func installTarget(in Input) Manager {
	if in.GOOS == "darwin" {
		return Manager{Name: "launchd", StopTimeout: launchd.DefaultExitTimeOut}
	}
	return Manager{Name: "systemd", StopTimeout: systemd.DefaultTimeoutStopSec}
}
