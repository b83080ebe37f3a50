//go:build linux

package e2e

import (
	"context"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// The workerpool helper runs hsuptest.WorkerPool (a thread-pool server:
// N workers on ADDR, each accepting one connection at a time and serving
// it to the end; GET /slow takes 200 ms). It says "helper ready" and stops
// on SIGTERM.
//
//	workerpool ADDR N
func init() { reexec.Register("workerpool", helperWorkerPool) }

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
	say("helper ready", "pid", os.Getpid())
	hsuptest.WorkerPool(ctx, ln, n)
	return 0
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
	port := hsuptest.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd, env := helperCmd(t, "workerpool", addr, strconv.Itoa(workers))
	p := hsuptest.Start(t, append(runArgs(t, "--health-url=http://"+addr+"/health", "--stop-grace=2s"), cmd...), env)
	running, from := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
	p.WaitLine(t, 0, lineWait, "the watch", func(l hsuptest.Line) bool { return l.Msg() == "watching the accept queue" })

	ctx, cancel := context.WithTimeout(context.Background(), load)
	defer cancel()
	queue := hsuptest.SampleQueue(ctx, running.Int("pid"), port)
	served, failed := hsuptest.Hammer(ctx, "http://"+addr+"/slow", clients)
	st := <-queue
	if st.Err != nil {
		t.Fatal(st.Err)
	}
	t.Logf("%d requests served, %d failed in %v; accept queue over %d samples: non-empty in %d, longest %d (backlog %d)",
		served, failed, load, st.Samples, st.Waiting, st.Longest, st.Backlog)
	if st.Waiting == 0 {
		t.Error("the accept queue was never seen non-empty: the load did not exercise a draining queue")
	}
	quiet(t, p, from, 2*time.Second) // the load's end plus two seconds: no restart at any point since running
	for _, l := range p.Lines()[from:] {
		if l.Msg() == "accept queue stalled" {
			t.Errorf("stall reported under load: %v", l)
		}
	}
}
