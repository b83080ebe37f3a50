package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
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

// maxSlow bounds GET /slow?ms=N of the worker pool.
const maxSlow = 10 * time.Second

// workerPool is a thread-pool server, like gunicorn's sync workers or
// Python's socketserver with a fixed pool: N workers on --addr, each
// accepting one connection at a time and serving it to the end. Under a
// load larger than the pool, connections wait in the accept queue, which
// drains as workers free up: busy, alive, never empty. GET /slow?ms=N
// takes N ms; every other path answers the WebUI's health contract, its
// accept_loop.requests_total counting accepted connections. --marker is
// ignored: it puts bench's directory into the argv, so bench can tell the
// process is its own. It stops on SIGTERM or SIGINT.
//
// The same approach as test/e2e/acceptq_load_linux_test.go's helper.
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
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for range *workers {
		wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return // closed at the signal
				}
				serveOne(c, accepted.Add(1))
			}
		})
	}
	fmt.Printf("workerpool: listening on %s pid %d with %d workers\n", ln.Addr(), os.Getpid(), *workers)
	<-ctx.Done()
	_ = ln.Close()
	wg.Wait() // each connection has a 5 s deadline: bounded
	return 0
}

// serveOne answers one request on c and closes it.
func serveOne(c net.Conn, accepted int64) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return
	}
	body := fmt.Sprintf(`{"status":"ok","pid":%d,"accept_loop":{"requests_total":%d}}`, os.Getpid(), accepted)
	typ := "application/json"
	if req.URL.Path == "/slow" {
		work := time.NewTimer(slowFor(req.URL.Query().Get("ms"))) // the handler's work, not a synchronisation
		<-work.C
		body, typ = "slow\n", "text/plain"
	}
	resp := &http.Response{StatusCode: http.StatusOK, ProtoMajor: 1, ProtoMinor: 1, Close: true,
		Header: http.Header{"Content-Type": {typ}}, ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(body))}
	_ = resp.Write(c)
}

// slowFor is the work of GET /slow?ms=N: N ms, 200 when N is missing or
// not a number, at most maxSlow.
func slowFor(ms string) time.Duration {
	n, err := strconv.Atoi(ms)
	if err != nil || n < 0 {
		n = 200
	}
	return min(time.Duration(n)*time.Millisecond, maxSlow)
}
