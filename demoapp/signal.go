package demoapp

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
)

// watchSignals returns a context that ends on a stop signal, and writes a
// goroutine dump to stderr on the dump signal. stop undoes the Notify and
// waits for the watching goroutine.
func watchSignals(parent context.Context, stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 8)
	watched := append([]os.Signal{}, shutdownSignals...)
	if dumpSignal != nil {
		watched = append(watched, dumpSignal)
	}
	signal.Notify(sigs, watched...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-sigs:
				if dumpSignal != nil && s == dumpSignal {
					writeDump(stderr, s)
					continue
				}
				cancel()
			}
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel()
		<-done
	}
}

// writeDump writes every goroutine's stack, growing the buffer until the
// whole dump fits.
func writeDump(w io.Writer, s os.Signal) {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	// A failed write has nowhere better to go: stderr is the report channel.
	_, _ = fmt.Fprintf(w, "demoapp: %v: goroutine dump of pid %d\n%s\n", s, os.Getpid(), buf)
}
