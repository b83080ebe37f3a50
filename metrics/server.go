package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// shutdownGrace bounds the graceful part of Serve's shutdown; requests still
// running after it (a long pprof profile) are cut off.
const shutdownGrace = 5 * time.Second

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
	srv := &http.Server{
		Handler:           s.h,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          zap.NewStdLog(s.log.Named("metrics.http")),
		// Request contexts end with ctx, so long handlers (pprof) stop too.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	s.log.Info("metrics listener serving", zap.String("addr", ln.Addr().String()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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
