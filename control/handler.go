package control

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// handler routes the three endpoints; anything else is 404 or 405.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", s.status)
	mux.HandleFunc("POST /restart", s.restart)
	mux.HandleFunc("POST /capture", s.capture)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 0) // no endpoint reads a body
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	st := s.cfg.Service.Status()
	if s.trend != nil && st.FDs != nil {
		st.FDs.Trend = s.trend.copy()
	}
	reply(w, http.StatusOK, st)
}

func (s *Server) restart(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := askContext(r, s.cfg.AskTimeout)
	defer cancel()
	err := s.cfg.Service.Restart(ctx)
	if err != nil {
		s.refuse(w, "restart", err)
		return
	}
	s.cfg.Log.Info("an operator asked for a restart over the control socket")
	reply(w, http.StatusAccepted, Reply{Message: "capturing a bundle, then restarting (reason manual)"})
}

func (s *Server) capture(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := askContext(r, s.cfg.CaptureTimeout)
	defer cancel()
	dir, err := s.cfg.Service.Capture(ctx)
	if err != nil {
		s.refuse(w, "capture", err)
		return
	}
	reply(w, http.StatusOK, Reply{Message: "bundle written", Bundle: dir})
}

// DeadlineHeader carries the client's deadline (Unix milliseconds): a
// request read after it (hsup was paused while the client waited and gave
// up) is refused rather than carried out behind the operator's back.
const DeadlineHeader = "Hsup-Deadline"

// askContext bounds a request by d and by the client's own deadline.
func askContext(r *http.Request, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), d)
	ms, err := strconv.ParseInt(r.Header.Get(DeadlineHeader), 10, 64)
	if err != nil {
		return ctx, cancel
	}
	ctx2, cancel2 := context.WithDeadline(ctx, time.UnixMilli(ms))
	return ctx2, func() { cancel2(); cancel() }
}

// refuse answers a request the service did not carry out: 409 for a
// refusal, 504 when the answer did not come in time, else 500.
func (s *Server) refuse(w http.ResponseWriter, what string, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrRefused):
		code = http.StatusConflict
	case errors.Is(err, context.DeadlineExceeded):
		code = http.StatusGatewayTimeout
	}
	s.cfg.Log.Info("a control request was not carried out", zap.String("request", what), zap.Int("code", code), zap.Error(err))
	reply(w, code, Reply{Error: err.Error()})
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
