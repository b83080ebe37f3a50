package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/netutil"
)

// shutdownGrace bounds the graceful part of Serve's shutdown; requests still
// running after it (a long pprof profile) are cut off.
const shutdownGrace = 5 * time.Second

// What one client of the metrics port can hold. The port is loopback by
// default but any local process (or, with a wider --metrics-addr, anyone)
// can connect: together these bound hsup's memory and descriptors for the
// port to about maxConns × (maxHeaderBytes + 4 KiB of net/http slack + the
// connection's buffers), whatever the clients do.
const (
	// maxConns open connections at a time; Accept waits for one to close
	// (further clients wait in the kernel's backlog, not in hsup).
	maxConns = 64
	// maxHeaderBytes of request line and headers; net/http reads up to
	// 4 KiB more before it answers 431, so the real bound is 12 KiB.
	maxHeaderBytes = 8 << 10
	// readHeaderTimeout for a new request's headers, readTimeout for the
	// whole request (these handlers read no body), idleTimeout between
	// kept-alive requests.
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	idleTimeout       = 30 * time.Second
	// writeTimeout for a response; a /metrics scrape is small.
	writeTimeout = 10 * time.Second
	// pprofTimeout replaces readTimeout and writeTimeout when the handler
	// serves net/http/pprof: a CPU profile (30 s by default) or a trace
	// runs that long, and pprof refuses ?seconds= at or above the write
	// timeout, so profiles of up to 119 s are possible.
	pprofTimeout = 2 * time.Minute
)

// ErrNotListening is returned by Serve when Listen has not succeeded.
var ErrNotListening = errors.New("metrics server: Serve called before a successful Listen")

// Server serves a handler on one TCP listener. Listen binds (so a taken port
// fails start-up early); Serve runs until its context is done.
type Server struct {
	h   http.Handler
	log *zap.Logger

	mu   sync.Mutex
	ln   net.Listener // until Serve or Close takes it
	addr string       // kept for Addr after ln is taken
}

// NewServer returns a Server for h; log must not be nil (use zap.NewNop).
func NewServer(h http.Handler, log *zap.Logger) *Server {
	return &Server{h: h, log: log}
}

// Listen binds addr ("host:port"; port 0 picks a free one). A port in use
// yields an error naming the address and how to fix it.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("metrics address %s is in use; pass --metrics-addr with a free port, or \"\" to disable: %w", addr, err)
	}
	if err != nil {
		return fmt.Errorf("listen on metrics address %q: %w; pass --metrics-addr as host:port, or \"\" to disable", addr, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr != "" {
		_ = ln.Close()
		return fmt.Errorf("metrics server already listened on %s; call Listen once per Server", s.addr)
	}
	s.ln, s.addr = ln, ln.Addr().String()
	return nil
}

// Addr returns the bound address (the real port when Listen got port 0), or
// "" before a successful Listen. It stays valid while and after Serve runs.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Close releases the listener when Serve will not be called (start-up failed
// after Listen). Serve closes it by itself.
func (s *Server) Close() error {
	ln := s.take()
	if ln == nil {
		return nil
	}
	return ln.Close()
}

// take hands the listener to exactly one of Serve or Close.
func (s *Server) take() net.Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	ln := s.ln
	s.ln = nil
	return ln
}

// Serve serves on the listener from Listen until ctx is done, then shuts down
// gracefully within a bound. It returns nil after a shutdown caused by ctx,
// and the error when serving itself failed. No goroutine outlives it.
func (s *Server) Serve(ctx context.Context) error {
	ln := s.take()
	if ln == nil {
		return ErrNotListening
	}
	srv := newHTTPServer(s.h, s.log)
	// Request contexts end with ctx, so long handlers (pprof) stop too.
	srv.BaseContext = func(net.Listener) context.Context { return ctx }
	s.log.Info("metrics listener serving", zap.String("addr", ln.Addr().String()),
		zap.Int("max_connections", maxConns), zap.Duration("write_timeout", srv.WriteTimeout))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(netutil.LimitListener(ln, maxConns)) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve metrics on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn("metrics listener did not shut down gracefully; closing", zap.Error(err))
		_ = srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve metrics on %s: %w", ln.Addr(), err)
	}
	return nil
}

// newHTTPServer is the http.Server for h with the bounds above.
func newHTTPServer(h http.Handler, log *zap.Logger) *http.Server {
	rt, wt := readTimeout, writeTimeout
	if servesPprof(h) {
		rt, wt = pprofTimeout, pprofTimeout
	}
	return &http.Server{
		Handler:           h,
		MaxHeaderBytes:    maxHeaderBytes,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       rt,
		WriteTimeout:      wt,
		IdleTimeout:       idleTimeout,
		ErrorLog:          zap.NewStdLog(log.Named("metrics.http")),
	}
}

// servesPprof reports whether h is a mux with net/http/pprof's profile
// handler mounted (Metrics.Handler with Options.Pprof).
func servesPprof(h http.Handler) bool {
	mux, ok := h.(*http.ServeMux)
	if !ok {
		return false
	}
	_, pattern := mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: pprofProfile}})
	return pattern == pprofProfile
}

const pprofProfile = "/debug/pprof/profile"
