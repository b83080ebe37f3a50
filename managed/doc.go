// Package managed describes hsup as a service manager (systemd, launchd)
// runs it: the command line `hsup run FLAGS -- PROGRAM ARGS` and how long
// the manager must wait for hsup to stop. The unit and plist generators
// both build on Command, so a unit and a plist made from the same flags
// run the same argv and leave hsup the same time to stop its child.
package managed
