//go:build linux

package e2e

import (
	"bufio"
	"context"
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
	"testing"
	"time"

	"github.com/hsup/hsup/acceptq"
	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// The workerpool helper is a thread-pool server (gunicorn's sync workers,
// a fixed pool of threads calling accept): N workers on ADDR, each
// accepting one connection at a time and serving it to the end. GET /slow
// takes 200 ms; /health answers the WebUI's contract, its
// accept_loop.requests_total counting accepted connections. Under a load
// larger than the pool, connections wait in the accept queue, which
// drains as workers free up: busy, alive, and never empty. It says
// "helper ready" and stops on SIGTERM.
//
//	workerpool ADDR N
func init() { reexec.Register("workerpool", helperWorkerPool) }

const slowHandler = 200 * time.Millisecond

func helperWorkerPool(args ...string) int {
	if len(args) != 2 {
		return 2
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 1 {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		return helperFailed("listen", err)
	}
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return // closed at SIGTERM
				}
				serveOne(c, accepted.Add(1))
			}
		})
	}
	say("helper ready", "pid", os.Getpid())
	<-ctx.Done()
	ln.Close()
	wg.Wait()
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
	body, typ := fmt.Sprintf(`{"status":"ok","accept_loop":{"requests_total":%d}}`, accepted), "application/json"
	if req.URL.Path == "/slow" {
		work := time.NewTimer(slowHandler) // the handler's work, not synchronization
		<-work.C
		body, typ = "slow\n", "text/plain"
	}
	resp := &http.Response{StatusCode: http.StatusOK, ProtoMajor: 1, ProtoMinor: 1, Close: true,
		Header: http.Header{"Content-Type": {typ}}, ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(body))}
	_ = resp.Write(c)
}

// TestAcceptStallSlowLoadLeftAlone: 64 concurrent clients hammer an
// endpoint that takes 200 ms, on a server with 16 workers, for 10 s, at
// hsup's default probe settings with the watch on. The accept queue is
// non-empty the whole time (the test samples it itself, as hsup does) but
// drains: zero restarts.
func TestAcceptStallSlowLoadLeftAlone(t *testing.T) {
	const (
		clients = 64
		workers = 16
		load    = 10 * time.Second
	)
	addr := "127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t))
	cmd, env := helperCmd(t, "workerpool", addr, strconv.Itoa(workers))
	p := hsuptest.Start(t, append(runArgs(t, "--health-url=http://"+addr+"/health", "--stop-grace=2s"), cmd...), env)
	running, from := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
	p.WaitLine(t, 0, lineWait, "the watch", func(l hsuptest.Line) bool { return l.Msg() == "watching the accept queue" })

	ctx, cancel := context.WithTimeout(context.Background(), load)
	defer cancel()
	var served, failed atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for range clients {
		wg.Go(func() { hammer(ctx, client, "http://"+addr+"/slow", &served, &failed) })
	}
	queue := watchQueue(ctx, t, running.Int("pid"), addr)
	wg.Wait()
	st := <-queue
	t.Logf("%d requests served, %d failed in %v; accept queue over %d samples: non-empty in %d, longest %d (backlog %d)",
		served.Load(), failed.Load(), load, st.samples, st.waiting, st.longest, st.backlog)
	if st.waiting == 0 {
		t.Error("the accept queue was never seen non-empty: the load did not exercise a draining queue")
	}
	quiet(t, p, from, 2*time.Second) // the load's end plus two seconds: no restart at any point since running
	for _, l := range p.Lines()[from:] {
		if l.Msg() == "accept queue stalled" {
			t.Errorf("stall reported under load: %v", l)
		}
	}
}

// hammer GETs url on a fresh connection, again and again, until ctx ends.
func hammer(ctx context.Context, c *http.Client, url string, served, failed *atomic.Int64) {
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				failed.Add(1)
			}
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		served.Add(1)
	}
}

type queueStats struct{ samples, waiting, longest, backlog int }

// watchQueue samples the child's accept queue at the watch's fast cadence
// until ctx ends, and sends what it saw.
func watchQueue(ctx context.Context, t *testing.T, pid int, addr string) <-chan queueStats {
	t.Helper()
	_, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	l, err := acceptq.Find(ctx, pid, port)
	if err != nil {
		t.Fatalf("find the child's socket: %v", err)
	}
	out := make(chan queueStats, 1)
	go func() {
		var st queueStats
		defer func() { out <- st }()
		ticker := time.NewTicker(acceptq.FastInterval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			s, err := l.Sample(ctx)
			if err != nil {
				continue
			}
			st.samples++
			st.backlog = s.Backlog
			if s.Queue > 0 {
				st.waiting++
			}
			st.longest = max(st.longest, s.Queue)
		}
	}()
	return out
}
