// Package launchd generates the launchd property list that runs hsup as a
// LaunchAgent (the user's gui/UID domain, for a Mac someone logs into) or a
// LaunchDaemon (the system domain, as a named user from boot, for a
// headless Mac), the launchctl commands that load it, and holds the
// launchd facts hsup's defaults depend on (the soft RLIMIT_NOFILE of 256
// launchd gives jobs, ThrottleInterval, ExitTimeOut); `hsup doctor` judges
// settings against the same constants.
//
// Generation is pure: NewJob checks the values the CLI collected (a
// managed.Command with absolute paths, run flags and stop grace, the
// label, the daemon's user, --restart, --nofile and the machine's
// kern.maxfilesperproc) and builds a Job; Encode writes it as indented XML
// with howett.net/plist, never by string concatenation, so every argument
// reaches ProgramArguments exactly as given. Decode reads a plist back.
// CleanPath (the job's PATH) and HsupPath (which hsup path to pin) are
// pure too; their effects (stat, os.Executable) stay in the CLI. Only
// MaxFilesPerProc reads the machine, and only on darwin.
package launchd
