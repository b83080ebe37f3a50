package doctor

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/hsup/hsup/launchd"
	"github.com/hsup/hsup/managed"
)

// LaunchdStop is how long launchd waits after SIGTERM before it kills the
// job (ExitTimeOut), and where doctor learnt it.
type LaunchdStop struct {
	// Timeout is the plist's ExitTimeOut, or launchd.DefaultExitTimeOut
	// when there is no plist, it sets none or it cannot be read; 0 when
	// Forever.
	Timeout time.Duration
	// Forever: the plist sets ExitTimeOut 0, which launchd takes as
	// "never SIGKILL".
	Forever bool
	// Source says where Timeout comes from, e.g. "ExitTimeOut in
	// /Library/LaunchDaemons/com.example.webui.plist".
	Source string
	// Plist is the plist doctor read (Input.Plist or JobPlist), "" when
	// none.
	Plist string
	// Unread is the warning, one line, when the plist could not be read
	// or decoded; "" otherwise.
	Unread string
}

// launchdStop reads the stop timeout from Input.Plist, or else from the
// running job's plist, when launchd starts hsup, would start it (doctor
// run from a terminal on macOS), or a plist was named; zero otherwise.
func launchdStop(in Input, m Manager) LaunchdStop {
	if in.Plist == "" && m.Name != "launchd" && (m.Name != "none" || in.GOOS != "darwin") {
		return LaunchdStop{}
	}
	p := cmp.Or(in.Plist, in.JobPlist)
	ls := LaunchdStop{Timeout: launchd.DefaultExitTimeOut, Plist: p}
	if p == "" {
		ls.Source = "launchd's default for a plist without ExitTimeOut; name a plist with --plist"
		if m.Name == "launchd" {
			ls.Source = "launchd's default; the job's plist was not found, name it with --plist"
		}
		return ls
	}
	data, err := in.ReadFile(p)
	var d time.Duration
	var set bool
	if err == nil {
		d, set, err = launchd.ReadStopTimeout(data)
	}
	switch {
	case err != nil:
		ls.Source = "launchd's default; " + p + " could not be read"
		ls.Unread = fmt.Sprintf("cannot read ExitTimeOut from %s (%s): doctor assumes launchd's default of %s",
			p, readError(err), launchd.DefaultExitTimeOut)
	case !set:
		ls.Source = "launchd's default; " + p + " sets no ExitTimeOut"
	case d == 0:
		ls.Timeout, ls.Forever, ls.Source = 0, true, "ExitTimeOut 0 in "+p+": launchd never sends SIGKILL"
	default:
		ls.Timeout, ls.Source = d, "ExitTimeOut in "+p
	}
	return ls
}

// readError is err without the path a *fs.PathError repeats.
func readError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// stopWarnings judges --stop-grace against the stop timeout of the manager
// that starts hsup or would (and of a named plist's launchd besides), and
// the systemd settings that go with stopping.
func stopWarnings(in Input, m Manager, ls LaunchdStop) []string {
	var w []string
	if ls.Unread != "" {
		w = append(w, ls.Unread)
	}
	target, how := m, "that starts hsup"
	if m.Name == "none" {
		target, how = installTarget(in, ls), "hsup would be installed under"
	}
	if target.Name == "launchd" && target.StopTimeout == ls.Timeout && ls.Plist != "" {
		how += "; " + ls.Source
	}
	if s := graceWarning(in, target, how); s != "" {
		w = append(w, s)
	}
	// A plist named under another manager is the one hsup will be
	// installed with: judge it too.
	if in.Plist != "" && target.Name != "launchd" {
		if s := graceWarning(in, Manager{Name: "launchd", StopTimeout: ls.Timeout}, "--plist; "+ls.Source); s != "" {
			w = append(w, s)
		}
	}
	if m.Name == "systemd" && in.Getenv("NOTIFY_SOCKET") == "" {
		w = append(w, "systemd started hsup without NOTIFY_SOCKET: the unit is not Type=notify, so systemd never learns readiness and the watchdog is off; generate it with `hsup systemd unit`")
	}
	if m.Watchdog > 0 && m.Watchdog < 2*time.Second {
		w = append(w, fmt.Sprintf("systemd WatchdogSec %s is under 2s: hsup pings at half and a busy machine misses it; use 30s", m.Watchdog))
	}
	return w
}

// graceWarning is "" when target's stop timeout leaves hsup its grace
// plus managed.StopMargin (the generators' ExitTimeOut and TimeoutStopSec
// are exactly that) or is unknown; else what goes wrong and the fix.
func graceWarning(in Input, target Manager, how string) string {
	t := target.StopTimeout
	if t <= 0 || in.StopGrace+managed.StopMargin <= t {
		return ""
	}
	var s string
	if in.StopGrace >= t {
		s = fmt.Sprintf("--stop-grace %s is not below the %s stop timeout %s (%s): it kills hsup before hsup kills the child's group; ",
			in.StopGrace, target.Name, t, how)
	} else {
		s = fmt.Sprintf("--stop-grace %s leaves hsup %s of the %s stop timeout %s (%s) to kill the child's group and exit, under the %s margin hsup allows; ",
			in.StopGrace, t-in.StopGrace, target.Name, t, how, managed.StopMargin)
	}
	lower := "lower --stop-grace"
	if fits := t - managed.StopMargin; fits > 0 {
		lower = fmt.Sprintf("lower --stop-grace to %s", fits)
	}
	switch target.Name {
	case "launchd":
		return s + fmt.Sprintf("generate the plist with `hsup launchd plist` (ExitTimeOut = grace + %s) or %s", managed.StopMargin, lower)
	case "systemd":
		return s + fmt.Sprintf("generate the unit with `hsup systemd unit` (TimeoutStopSec = grace + %s) or %s", managed.StopMargin, lower)
	}
	return s + "raise the runtime's stop timeout (docker stop -t, terminationGracePeriodSeconds) or " + lower
}
