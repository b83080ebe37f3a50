package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/hsup/hsup/test/hsuptest"
)

// helperEnv names the helper a re-executed bench binary runs instead of
// the benchmark. The load part runs the worker pool this way, as hsup's
// child: bench's own executable with HSUP_BENCH_HELPER=workerpool.
const helperEnv = "HSUP_BENCH_HELPER"

// runHelper runs the helper name with args and returns its exit code.
func runHelper(name string, args []string) int {
	if name == "workerpool" {
		return workerPool(args)
	}
	fmt.Fprintf(os.Stderr, "bench: unknown helper %s=%q\n", helperEnv, name)
	return 2
}

// workerPool runs hsuptest.WorkerPool as hsup's child: N workers on
// --addr. --marker is ignored: it puts bench's directory into the argv, so
// bench can tell the process is its own. It stops on SIGTERM or SIGINT.
func workerPool(args []string) int {
	fs := flag.NewFlagSet("workerpool", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	workers := fs.Int("workers", 16, "accepting workers")
	_ = fs.String("marker", "", "ignored; names bench's directory in the argv")
	if err := fs.Parse(args); err != nil || *workers < 1 {
		fmt.Fprintln(os.Stderr, "workerpool: usage: --addr=HOST:PORT --workers=N (N >= 1)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "workerpool: listen %s: %v\n", *addr, err)
		return 1
	}
	fmt.Printf("workerpool: listening on %s pid %d with %d workers\n", ln.Addr(), os.Getpid(), *workers)
	hsuptest.WorkerPool(ctx, ln, *workers)
	return 0
}
