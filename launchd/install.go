package launchd

import (
	"path/filepath"
	"strconv"
	"strings"
)

// Path is where the plist goes: ~/Library/LaunchAgents/LABEL.plist for an
// agent (home is the user's home), /Library/LaunchDaemons/LABEL.plist for a
// daemon.
func Path(label, home string, daemon bool) string {
	if daemon {
		return filepath.Join("/Library/LaunchDaemons", label+".plist")
	}
	return filepath.Join(home, "Library", "LaunchAgents", label+".plist")
}

// Domain is the launchctl domain the job is loaded into: "system" for a
// daemon, "gui/UID" for an agent. The gui domain exists only while that
// user is logged in at the console, never over SSH alone.
func Domain(daemon bool, uid int) string {
	if daemon {
		return "system"
	}
	return "gui/" + strconv.Itoa(uid)
}

// InstallCommands enable the label (a label once disabled refuses to
// bootstrap), load the plist into its domain (RunAtLoad starts hsup), start
// it if it is not running, and show its state. kickstart has no -k: on
// current macOS -k sends SIGKILL, which leaves hsup no time to stop its
// child. A daemon's commands run as root. bootstrap fails with
// "Input/output error" when the label is already loaded: run
// UninstallCommands first.
func InstallCommands(label string, daemon bool, uid int, plistPath string) []string {
	domain, sudo := Domain(daemon, uid), ""
	if daemon {
		sudo = "sudo "
	}
	return []string{
		sudo + "launchctl enable " + domain + "/" + label,
		sudo + "launchctl bootstrap " + domain + " " + shellQuote(plistPath),
		sudo + "launchctl kickstart " + domain + "/" + label,
		sudo + "launchctl print " + domain + "/" + label,
	}
}

// UninstallCommands unload the job (stopping hsup, which stops its child).
func UninstallCommands(label string, daemon bool, uid int) []string {
	sudo := ""
	if daemon {
		sudo = "sudo "
	}
	return []string{sudo + "launchctl bootout " + Domain(daemon, uid) + "/" + label}
}

// RestartCommand is the graceful restart: SIGTERM to hsup, which stops its
// child within the stop grace and exits 0. KeepAlive true (--restart
// always) starts it again; under on-failure or never a clean exit is not
// restarted, so follow it with `launchctl kickstart`.
func RestartCommand(label string, daemon bool, uid int) string {
	sudo := ""
	if daemon {
		sudo = "sudo "
	}
	return sudo + "launchctl kill SIGTERM " + Domain(daemon, uid) + "/" + label
}

// shellQuote quotes a path for a copy-pasted shell command when needed;
// home directories with spaces exist.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
