// Package launchd generates the launchd property list that runs hsup as a
// LaunchAgent, and holds the launchd facts hsup's defaults depend on
// (the soft RLIMIT_NOFILE of 256 launchd gives jobs, ThrottleInterval,
// ExitTimeOut); `hsup doctor` judges settings against the same constants.
//
// Generation is pure: NewJob checks the values the CLI collected (a
// managed.Command with absolute paths, run flags and stop grace, the
// label, --nofile) and builds a Job; Encode writes it as indented XML with
// howett.net/plist, never by string concatenation, so every argument
// reaches ProgramArguments exactly as given. Decode reads a plist back,
// for tests.
package launchd
