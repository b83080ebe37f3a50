// Package doctor explains what hsup would do with a set of run flags on
// this machine: the worst-case time each failure class takes to be
// detected, the RLIMIT_NOFILE the child would get, which diagnostics
// collectors are installed, which service manager started hsup, and
// warnings for settings that will flap, react too slowly, or be cut short
// by the service manager.
//
// Check is a pure function of Input; the CLI fills Input from its flags,
// os.Getenv, exec.LookPath and fdlimit.Plan, prints the Report with
// Write, and exits with Report.ExitCode (0 clean, 1 with warnings).
package doctor
