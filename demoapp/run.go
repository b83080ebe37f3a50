package demoapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// DefaultAddr is where the WebUI listens, and so where the demo app does.
const DefaultAddr = "127.0.0.1:8787"

// shutdownGrace bounds how long Run waits for requests in flight.
const shutdownGrace = 2 * time.Second

// Config is everything Run needs; the caller reads flags and environment.
type Config struct {
	Addr       string        // host:port to listen on; "" means DefaultAddr; port 0 picks one
	StateDir   string        // directory for state.db, created if missing; required
	StartDelay time.Duration // wait this long before listening (a slow start)
	Stdout     io.Writer     // gets the "demoapp: listening on ADDR pid N" line; nil discards
	Stderr     io.Writer     // gets SIGUSR1 goroutine dumps and HTTP server errors; nil discards
}

// ExitError is returned by Run when the crash switch was flipped. The
// caller should exit the process with Code.
type ExitError struct {
	Code int
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("demoapp: crash switch: exit with code %d", e.Code)
}

// ListenError is returned by Run when it cannot listen on Addr. It wraps
// the system error, so errors.Is(err, syscall.EADDRINUSE) works.
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string {
	if errors.Is(e.Err, syscall.EADDRINUSE) {
		return fmt.Sprintf("listen %s: address in use; pick another --port", e.Addr)
	}
	return fmt.Sprintf("listen %s: %v; check the address and --port", e.Addr, e.Err)
}

func (e *ListenError) Unwrap() error { return e.Err }

// app is one running demo app.
type app struct {
	addr    string // actual listening address
	dbPath  string
	pid     int
	started time.Time
	now     func() time.Time
	state   *state
	ln      *listener
	crash   chan int // the crash switch's exit code, buffered 1
}

// Run serves the demo app until ctx is done, SIGTERM or SIGINT arrives
// (both return nil), or the crash switch is flipped (returns *ExitError).
// A listen failure returns *ListenError. While it runs, SIGUSR1 writes all
// goroutine stacks to cfg.Stderr. On return every connection it accepted,
// held or served is closed and the leaked handles are released.
func Run(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	dbPath, err := prepareStateDB(cfg.StateDir)
	if err != nil {
		return err
	}
	ctx, stopSignals := watchSignals(ctx, cfg.Stderr)
	defer stopSignals()
	if !waitDelay(ctx, cfg.StartDelay) {
		return nil
	}
	inner, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return &ListenError{Addr: cfg.Addr, Err: err}
	}
	a := &app{
		addr: inner.Addr().String(), dbPath: dbPath, pid: os.Getpid(),
		started: time.Now(), now: time.Now, state: &state{}, crash: make(chan int, 1),
	}
	a.ln = newListener(inner.(*net.TCPListener), a.state.onAccept)
	a.ln.before, a.ln.swallow = a.state.beforeAccept, a.state.swallow
	defer a.state.releaseLeaked()
	if _, err := fmt.Fprintf(cfg.Stdout, "demoapp: listening on %s pid %d\n", a.addr, a.pid); err != nil {
		_ = a.ln.Close()
		return fmt.Errorf("demoapp: write the readiness line to stdout: %w", err)
	}
	return a.serve(ctx, cfg.Stderr)
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Stdout == nil {
		c.Stdout = io.Discard
	}
	if c.Stderr == nil {
		c.Stderr = io.Discard
	}
	return c
}

// prepareStateDB creates the state directory and an empty state.db in it.
func prepareStateDB(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("demoapp: Config.StateDir is empty; pass a directory for state.db")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("demoapp: create state directory %s: %w; pass a writable directory", dir, err)
	}
	path := filepath.Join(dir, "state.db")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("demoapp: create %s: %w; pass a writable directory", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("demoapp: close %s: %w", path, err)
	}
	return path, nil
}

// waitDelay waits d; it returns false if ctx ended first.
func waitDelay(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// serve runs the HTTP server until ctx ends or the crash switch fires,
// then shuts down: stop accepting, close held connections, drain served
// ones (bounded by shutdownGrace, then forced).
func (a *app) serve(ctx context.Context, stderr io.Writer) error {
	srv := &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: time.Minute,
		ErrorLog:          log.New(stderr, "demoapp: http: ", 0),
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateClosed {
				a.state.topUp() // emfile: the freed descriptor is leaked again at once
			}
		},
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(a.ln) }()

	var result error
	select {
	case <-ctx.Done():
	case code := <-a.crash:
		result = &ExitError{Code: code}
	case err := <-served:
		_ = a.ln.Close()
		return fmt.Errorf("demoapp: serve %s: %w", a.addr, err)
	}
	_ = a.ln.Close() // before Shutdown: a blocked noaccept Accept must let go
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close() // grace is over: cut what is left
	}
	<-served // Serve returns ErrServerClosed once Shutdown started
	return result
}
