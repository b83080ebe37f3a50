package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/netutil"
)

// What one client of the socket can hold (see the metrics listener for the
// reasoning): few connections, small headers, no body, timeouts.
const (
	maxConns          = 8
	maxHeaderBytes    = 8 << 10
	readHeaderTimeout = 3 * time.Second
	readTimeout       = 5 * time.Second
	idleTimeout       = 10 * time.Second
	shutdownGrace     = 2 * time.Second
	// DefaultAskTimeout bounds the supervisor's answer to a restart or a
	// capture request (not the capture itself).
	DefaultAskTimeout = 5 * time.Second
)

// ErrRefused wraps the supervisor's refusal of a request: a capture or a
// restart is under way, no child is running, captures are off.
var ErrRefused = errors.New("refused")

// Service is what the server asks of hsup.
type Service interface {
	// Status is the current status; cheap and safe from any goroutine.
	// The server adds the FD trend.
	Status() Status
	// Restart asks for a bundle, then a restart (reason manual), and
	// returns once the supervisor has begun it; a refusal wraps ErrRefused.
	Restart(ctx context.Context) error
	// Capture asks for a bundle now (the child keeps running) and waits
	// for it: dir is the bundle's directory. A refusal wraps ErrRefused.
	Capture(ctx context.Context) (dir string, err error)
}

// Config configures a Server.
type Config struct {
	Service Service
	// AskTimeout bounds Restart (default DefaultAskTimeout); CaptureTimeout
	// bounds Capture, the bundle included (default 30 s).
	AskTimeout, CaptureTimeout time.Duration
	// FDs reads the child's open descriptors for the trend; nil: no trend.
	FDs func() (open int, ok bool)
	Log *zap.Logger // nil: no log
}

// Server serves the control channel on one unix socket. Listen binds;
// Serve runs until its context is done and removes the socket.
type Server struct {
	cfg   Config
	sock  *socket
	trend *trend
}

// Listen creates the socket at path (see the package documentation) and
// returns the Server that will serve it. The caller holds the service's
// lock: a socket already at path is an hsup's that died, and is replaced.
func Listen(path string, cfg Config) (*Server, error) {
	if cfg.AskTimeout <= 0 {
		cfg.AskTimeout = DefaultAskTimeout
	}
	if cfg.CaptureTimeout <= 0 {
		cfg.CaptureTimeout = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	sock, stale, err := listen(path)
	if err != nil {
		return nil, err
	}
	if stale {
		cfg.Log.Info("replaced the control socket an earlier hsup left (it no longer runs: this hsup holds the service's lock)",
			zap.String("path", path))
	}
	s := &Server{cfg: cfg, sock: sock}
	if cfg.FDs != nil {
		s.trend = &trend{every: trendEvery, span: trendSpan, sample: cfg.FDs}
	}
	return s, nil
}

// Serve serves until ctx is done, then shuts down within a bound and
// removes the socket. It returns nil after a shutdown caused by ctx, and
// the error when serving itself failed. No goroutine outlives it.
func (s *Server) Serve(ctx context.Context) error {
	defer s.sock.remove()
	srv := &http.Server{
		Handler:           s.handler(),
		MaxHeaderBytes:    maxHeaderBytes,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      s.cfg.CaptureTimeout + 5*time.Second,
		IdleTimeout:       idleTimeout,
		ErrorLog:          zap.NewStdLog(s.cfg.Log.Named("control.http")),
		// Requests end with ctx: a capture being waited for is let go.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	if s.trend != nil {
		tctx, stop := context.WithCancel(ctx)
		defer stop()
		wg.Go(func() { s.trend.run(tctx) })
	}
	errc := make(chan error, 1)
	wg.Go(func() { errc <- srv.Serve(netutil.LimitListener(s.sock.ln, maxConns)) })
	s.cfg.Log.Info("control socket serving", zap.String("path", s.sock.path))
	select {
	case err := <-errc:
		return fmt.Errorf("serve the control socket %s: %w", s.sock.path, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve the control socket %s: %w", s.sock.path, err)
	}
	return nil
}

// Close releases the socket when Serve will not be called.
func (s *Server) Close() { s.sock.remove() }
