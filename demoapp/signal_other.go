//go:build !unix

package demoapp

import "os"

// shutdownSignals end Run like a cancelled context.
var shutdownSignals = []os.Signal{os.Interrupt}

// dumpSignal is nil: there is no SIGUSR1 here, so no dump on demand.
var dumpSignal os.Signal
