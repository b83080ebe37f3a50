//go:build linux || darwin

package demoapp

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/reexec"
)

func init() {
	reexec.Register("serve-nofile", serveNofileHelper)
}

// childNofile is the soft RLIMIT_NOFILE of the emfile tests' child: small,
// so the leak is quick, and room for the runtime and a few connections.
const childNofile = 64

// serveNofileHelper pins its own soft RLIMIT_NOFILE to args[0], as the
// demo-app does with --nofile, then serves like serveHelper with state in
// args[1]. The emfile switch runs this process, not the test binary, out
// of descriptors.
func serveNofileHelper(args ...string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "serve-nofile: want the limit and the state directory")
		return 2
	}
	n, err := strconv.ParseUint(args[0], 10, 64)
	var lim syscall.Rlimit
	if err == nil {
		err = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if err == nil {
		lim.Cur = min(n, lim.Max)
		err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "serve-nofile: set RLIMIT_NOFILE to %s: %v\n", args[0], err)
		return 2
	}
	return serveHelper(args[1])
}

// TestEMFileSpins: after POST /demo/emfile the app holds its whole
// descriptor budget on state.db, and takes back any that a closed
// connection frees; a new connection completes the handshake
// (the kernel queues it) but is never served, while a connection accepted
// before the switch still is, and shows the accept counter climbing: the
// loop counts before every accept that fails. The CPU the spin burns is
// logged, not asserted (BenchmarkEMFileSpin measures it).
func TestEMFileSpins(t *testing.T) {
	t.Parallel()
	c := startHelper(t, "serve-nofile", strconv.Itoa(childNofile), t.TempDir())
	kept := dialKeep(t, c.addr) // accepted now, before the descriptors run out
	before := kept.health(t).AcceptLoop.RequestsTotal

	// On a connection of its own, which closes after the answer: the
	// descriptor it frees is leaked again, so none is left for new ones.
	resp, body := fresh(t, http.MethodPost, "http://"+c.addr+"/demo/emfile")
	ans := decode[switchAnswer](t, body)
	if resp.StatusCode != http.StatusOK || ans.LeakedFDs == nil || *ans.LeakedFDs < childNofile/2 || !slices.Contains(ans.On, "emfile") {
		t.Fatalf("POST /demo/emfile: %d %s; want 200, emfile on, most of %d descriptors leaked", resp.StatusCode, body, childNofile)
	}
	spinFrom := time.Now()

	// The handshake completes through the backlog. The POST's own
	// connection frees a descriptor as it closes, and the app leaks it
	// again at once; a connection made in that instant may still be
	// served (a race the WebUI has too), so one served connection is
	// allowed, and the next must never be accepted.
	for attempt := 1; ; attempt++ {
		conn := rawRequest(t, c.addr, "/health")
		got, err := readWithin(t, conn, 500*time.Millisecond)
		if len(got) == 0 && isTimeout(err) {
			break
		}
		if attempt == 2 {
			t.Fatalf("a connection made after emfile got %q, %v; want nothing (never accepted)", got, err)
		}
		t.Logf("the first connection after emfile took the descriptor the POST's connection freed; trying again")
	}
	first := kept.health(t).AcceptLoop.RequestsTotal
	if first <= before {
		t.Errorf("accept counter %d before the switch, %d after: want it climbing while the loop spins", before, first)
	}
	// Two probes in a row may fall between two turns of the loop: ask
	// again until it has moved on, within waitLimit.
	deadline := time.Now().Add(waitLimit)
	for kept.health(t).AcceptLoop.RequestsTotal == first {
		if time.Now().After(deadline) {
			t.Fatalf("accept counter stuck at %d for %v: the loop stopped spinning", first, waitLimit)
		}
	}

	c.signal(t, syscall.SIGTERM)
	if code := c.wait(t); code != 0 {
		t.Errorf("exit code after SIGTERM %d, want 0 (a spinning accept loop must still shut down)", code)
	}
	if u, ok := c.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu := time.Duration(u.Utime.Nano() + u.Stime.Nano())
		t.Logf("the child burned %v of CPU in its life; it spun for %v", cpu, time.Since(spinFrom).Round(time.Millisecond))
	}
}

// TestEMFileHealLeavesIt: heal does not undo emfile (the descriptors stay
// leaked, so accept would fail anyway).
func TestEMFileHealLeavesIt(t *testing.T) {
	t.Parallel()
	c := startHelper(t, "serve-nofile", strconv.Itoa(childNofile), t.TempDir())
	kept := dialKeep(t, c.addr)
	if resp, body := kept.do(t, http.MethodPost, "/demo/emfile"); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /demo/emfile: %d %s", resp.StatusCode, body)
	}
	_, body := kept.do(t, http.MethodPost, "/demo/heal")
	if ans := decode[switchAnswer](t, body); !slices.Equal(ans.On, []string{"emfile"}) {
		t.Errorf("after heal on = %q, want [emfile]", ans.On)
	}
}
