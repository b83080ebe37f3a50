package observe

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
)

// childEnv selects a helper when hsup runs this test binary as its child.
const childEnv = "HSUP_OBSERVE_CHILD"

// helpers are the children hsup can run: `hsup run -- <testbinary> ARGS`
// with HSUP_OBSERVE_CHILD=<name> in the environment.
var helpers = map[string]func(args ...string) int{
	"pprof":  pprofChild,
	"marker": markerChild,
	"env":    envChild,
}

// Leak allowances for the whole package: the runtime and net/http keep a
// few long-lived goroutines and descriptors after first use.
const (
	fdAllowance        = 4
	goroutineAllowance = 4
)

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		h, ok := helpers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "observe child: unknown helper %q\n", name)
			os.Exit(2)
		}
		os.Exit(h(os.Args[1:]...))
	}
	fds, gs := countFDs(), runtime.NumGoroutine()
	code := m.Run()
	hsuptest.Cleanup()
	if code == 0 {
		if err := checkLeaks(fds, gs); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: leak check:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkLeaks waits up to 5 s for descriptors and goroutines to settle back
// to what the process had before the tests, within the allowances.
func checkLeaks(fds, gs int) error {
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		nf, ng := countFDs(), runtime.NumGoroutine()
		if nf <= fds+fdAllowance && ng <= gs+goroutineAllowance {
			return nil
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			return fmt.Errorf("fds %d -> %d, goroutines %d -> %d; goroutines:\n%s", fds, nf, gs, ng, buf)
		}
	}
}

// countFDs counts this process's open descriptors (/dev/fd works on Linux
// and macOS).
func countFDs() int {
	entries, err := os.ReadDir("/dev/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// pprofChild serves, on args[0]: /health (200 until POST /fail, then 500),
// net/http/pprof under /debug/pprof/, and keeps one goroutine parked in
// observeMarkerPark so a dump of it is recognisable. It exits on SIGTERM.
func pprofChild(args ...string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "pprof child: want ADDR")
		return 2
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "pprof child:", err)
		return 1
	}
	var failing atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() {
			http.Error(w, `{"status":"error"}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("POST /fail", func(w http.ResponseWriter, _ *http.Request) { failing.Store(true) })
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	park := make(chan struct{})
	go observeMarkerPark(park)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	waitTerm()
	close(park)
	_ = srv.Close()
	return 0
}

//go:noinline
func observeMarkerPark(park chan struct{}) { <-park }

// markerChild creates the file args[0] and waits for SIGTERM: a child that
// must never start leaves the file missing.
func markerChild(args ...string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "marker child: want PATH")
		return 2
	}
	if err := os.WriteFile(args[0], []byte("started\n"), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "marker child:", err)
		return 1
	}
	waitTerm()
	return 0
}

func waitTerm() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	<-sigs
}

// envChild writes its environment, one variable a line, to args[0] (via a
// rename, so a reader never sees half of it) and waits for SIGTERM.
func envChild(args ...string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "env child: want PATH")
		return 2
	}
	tmp := args[0] + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(os.Environ(), "\n")+"\n"), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "env child:", err)
		return 1
	}
	if err := os.Rename(tmp, args[0]); err != nil {
		fmt.Fprintln(os.Stderr, "env child:", err)
		return 1
	}
	waitTerm()
	return 0
}
