// Package doctor explains what hsup would do with a set of run flags on
// this machine: the worst-case time each failure class takes to be
// detected, the RLIMIT_NOFILE the child would get, which diagnostics
// collectors are installed, which service manager started hsup, and
// warnings for settings that will flap, react too slowly, or be cut short
// by the service manager. The launchd stop timeout --stop-grace must fit
// is the ExitTimeOut of the plist doctor is pointed at (--plist, on any
// platform) or of the running job's, else launchd's default. On macOS it
// also says which launchd domain the job is in and whether this user has
// a GUI session (a LaunchAgent needs one), that py-spy is skipped without
// root, and warns about paths under folders TCC guards.
//
// Check is a pure function of Input; the CLI fills Input from its flags,
// os.Getenv, exec.LookPath, os.ReadFile (the plist), fdlimit.Plan and (on
// macOS) the owner of /dev/console and the job's plist, prints the Report
// with Write, and exits with Report.ExitCode (0 clean, 1 with warnings).
package doctor
