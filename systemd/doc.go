// Package systemd speaks to systemd: sd_notify (READY, WATCHDOG, STATUS,
// STOPPING) for a running hsup, and generation of the service unit that
// runs hsup.
//
// Unit generation is pure: Unit.Render turns values the CLI collected
// (a managed.Command with absolute paths, run flags and stop grace, and
// --nofile) into unit-file text, quoting ExecStart= by systemd's rules
// (systemd.service(5) "Command lines"): words double-quoted when they hold
// anything but plain characters, \ and " escaped, % doubled for
// specifiers and $ doubled for environment substitution. The tests split
// ExecStart= back, with a parser of systemd's rules and with
// systemd-analyze itself, to prove that the unit runs exactly the argv it
// was given.
//
// A generated unit looks like:
//
//	[Service]
//	Type=notify
//	NotifyAccess=main
//	ExecStart=/usr/local/bin/hsup run --nofile=4096 -- /usr/bin/python3 server.py
//	Restart=on-failure
//	WatchdogSec=30s
//	KillMode=mixed
//	TimeoutStopSec=15s
//	LimitNOFILE=4096
package systemd
