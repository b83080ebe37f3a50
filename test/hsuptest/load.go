package hsuptest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hsup/hsup/acceptq"
)

// The parts of a slow-load run that test/e2e and test/bench share: a
// thread-pool server to be hsup's child, the clients that load it, and a
// sampler of its accept queue.

// maxSlow bounds GET /slow?ms=N of WorkerPool.
const maxSlow = 10 * time.Second

// WorkerPool is a thread-pool server, like gunicorn's sync workers or
// Python's socketserver with a fixed pool: n workers on ln, each
// accepting one connection at a time and serving it to the end. Under a
// load larger than the pool, connections wait in the accept queue, which
// drains as workers free up: busy, alive, never empty. GET /slow?ms=N
// takes N ms (200 when N is missing); every other path answers the
// WebUI's health contract, its accept_loop.requests_total counting
// accepted connections. It serves until ctx is done, then closes ln and
// waits for its workers (each connection has a 5 s deadline).
func WorkerPool(ctx context.Context, ln net.Listener, n int) {
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for range max(n, 1) {
		wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return // closed below
				}
				serveOne(c, accepted.Add(1))
			}
		})
	}
	<-ctx.Done()
	_ = ln.Close()
	wg.Wait()
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

// Hammer runs clients that GET url, each request on a fresh connection,
// again and again until ctx ends, and counts the answers 200 (served)
// and the rest (failed; what ctx's end cut short is neither).
func Hammer(ctx context.Context, url string, clients int) (served, failed int64) {
	var ok, bad atomic.Int64
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer c.CloseIdleConnections()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				switch code := getCode(ctx, c, url); {
				case code == http.StatusOK:
					ok.Add(1)
				case ctx.Err() == nil:
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait() // every request ends with ctx, or within the client's timeout
	return ok.Load(), bad.Load()
}

// getCode is one GET of url, its body read and dropped: the status, 0
// without an answer.
func getCode(ctx context.Context, c *http.Client, url string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// QueueStats is what SampleQueue saw of a listening socket's accept
// queue.
type QueueStats struct {
	Samples, Waiting, Longest, Backlog int // Waiting: samples with connections waiting
	Err                                error
}

// SampleQueue finds the listening socket of pid (or its descendants) on
// port and samples its accept queue every acceptq.FastInterval, as the
// watch does once connections wait, until ctx ends; the channel then gets
// what it saw (Err: the socket was not found).
func SampleQueue(ctx context.Context, pid, port int) <-chan QueueStats {
	out := make(chan QueueStats, 1)
	go func() { // ends with ctx
		var st QueueStats
		defer func() { out <- st }()
		l, err := acceptq.Find(ctx, pid, port)
		if err != nil {
			st.Err = fmt.Errorf("find the child's listening socket: %w", err)
			return
		}
		tick := time.NewTicker(acceptq.FastInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			s, err := l.Sample(ctx)
			if err != nil {
				continue
			}
			st.Samples++
			st.Backlog = s.Backlog
			if s.Queue > 0 {
				st.Waiting++
			}
			st.Longest = max(st.Longest, s.Queue)
		}
	}()
	return out
}
