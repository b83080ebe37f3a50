//go:build unix

package demoapp

import (
	"os"
	"syscall"
)

// shutdownSignals end Run like a cancelled context.
var shutdownSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT}

// dumpSignal asks for a goroutine dump, like Python's faulthandler.register.
var dumpSignal os.Signal = syscall.SIGUSR1
