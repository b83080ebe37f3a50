package doctor

import (
	"strconv"
	"strings"
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
	v := getenv("XPC_SERVICE_NAME")
	if JobLabel(v) != "" {
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
	if strings.HasPrefix(v, appTerminalPrefix) {
		return Manager{Name: "none", Evidence: "XPC_SERVICE_NAME=" + v + " is an app's terminal, not a launchd job"}
	}
	return Manager{Name: "none", Evidence: "no XPC_SERVICE_NAME, INVOCATION_ID or NOTIFY_SOCKET"}
}

// appTerminalPrefix starts the XPC_SERVICE_NAME that macOS gives the
// processes of an app (application.<bundle id>.<numbers>), inherited by
// the shells of IDE terminals such as VS Code's.
const appTerminalPrefix = "application."

// JobLabel is the launchd job label in an XPC_SERVICE_NAME value, "" when
// the value names no job: unset, "0" (Terminal.app and iTerm2 shells), or
// application.* (an app and the shells of its built-in terminal). launchd
// sets XPC_SERVICE_NAME to the label of each job it starts.
func JobLabel(xpcServiceName string) string {
	if xpcServiceName == "0" || strings.HasPrefix(xpcServiceName, appTerminalPrefix) {
		return ""
	}
	return xpcServiceName
}

// installTarget is the manager hsup will most likely be installed under
// when doctor runs from a terminal: launchd on macOS or when pointed at a
// plist (with the plist's stop timeout, ls), systemd elsewhere.
func installTarget(in Input, ls LaunchdStop) Manager {
	if in.GOOS == "darwin" || in.Plist != "" {
		return Manager{Name: "launchd", StopTimeout: ls.Timeout}
	}
	return Manager{Name: "systemd", StopTimeout: systemd.DefaultTimeoutStopSec}
}
