// Command hsup runs one program as its foreground child and keeps it
// healthy over HTTP: it restarts the child when it exits or when it is
// alive but no longer serving, and captures a diagnostics bundle first.
//
//	hsup run [flags] -- PROGRAM [ARGS...]
//	hsup demo
//	hsup check [--deep] URL
//	hsup doctor [flags]
//	hsup systemd unit [flags] -- PROGRAM [ARGS...]
//	hsup launchd plist --label LABEL [flags] -- PROGRAM [ARGS...]
//
// This package only reads flags, builds the logger and the metrics
// registry, and wires the library packages together; see docs/.
package main
