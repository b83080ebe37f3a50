package observe

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hsup/hsup/test/reexec"
)

// The children hsup runs in these tests: `hsup run -- <testbinary> ARGS`
// with reexec.Env(t, name) in hsup's environment.
func init() {
	reexec.Register("pprof", pprofChild)   // pressure_test.go
	reexec.Register("marker", markerChild) // metrics_test.go
	reexec.Register("env", envChild)       // notify_test.go
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
