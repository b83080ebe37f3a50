package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// ErrNotRunning: nothing serves the socket (it does not exist, or the hsup
// that bound it is gone).
var ErrNotRunning = errors.New("no hsup is running for this service")

// ErrDenied: the socket exists but this user may not connect to it (only
// hsup's own user, and root, may).
var ErrDenied = errors.New("permission denied: only the user hsup runs as may use its control socket")

// ErrNoAnswer: hsup did not answer within the request's bound (a capture
// that overran, a loop that did not turn).
var ErrNoAnswer = errors.New("hsup did not answer in time")

// maxReply bounds what the client reads of an answer.
const maxReply = 1 << 20

// Client talks to the hsup that serves one control socket. Each call
// opens a connection of its own and is bounded by its context.
type Client struct {
	path string
	http *http.Client
}

// NewClient returns a Client of the socket at path; nothing is opened yet.
func NewClient(path string) *Client {
	c := &Client{path: path}
	c.http = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return c.dial(ctx)
		},
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 8 << 10,
	}}
	return c
}

// dial connects, naming why not: ErrNotRunning or ErrDenied.
func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.path)
	switch {
	case err == nil:
		return conn, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w (no control socket at %s)", ErrNotRunning, c.path)
	case errors.Is(err, syscall.ECONNREFUSED):
		return nil, fmt.Errorf("%w (nothing serves %s: the hsup that made it is gone)", ErrNotRunning, c.path)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("%w (%s)", ErrDenied, c.path)
	}
	return nil, err
}

// Status reads the running hsup's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, "/status", http.StatusOK, &st)
	return st, err
}

// Restart asks for a bundle and then a restart; it returns the server's
// message once the supervisor has begun. A refusal wraps ErrRefused.
func (c *Client) Restart(ctx context.Context) (string, error) {
	var r Reply
	err := c.do(ctx, http.MethodPost, "/restart", http.StatusAccepted, &r)
	return r.Message, err
}

// Capture asks for a bundle now and waits for it; it returns the bundle's
// directory. A refusal wraps ErrRefused.
func (c *Client) Capture(ctx context.Context) (string, error) {
	var r Reply
	err := c.do(ctx, http.MethodPost, "/capture", http.StatusOK, &r)
	return r.Bundle, err
}

// do makes one request and decodes the answer into out when its status
// is want; any other answer is an error carrying the server's reason.
func (c *Client) do(ctx context.Context, method, path string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://hsup"+path, nil)
	if err == nil {
		if d, ok := ctx.Deadline(); ok {
			req.Header.Set(DeadlineHeader, strconv.FormatInt(d.UnixMilli(), 10))
		}
	}
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // drop net/http's `Get "http://hsup/status":` prefix
			err = ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxReply)
	if resp.StatusCode == want {
		if err := json.NewDecoder(body).Decode(out); err != nil {
			return fmt.Errorf("control socket %s: bad answer: %w", c.path, err)
		}
		return nil
	}
	var r Reply
	_ = json.NewDecoder(body).Decode(&r)
	if r.Error == "" {
		r.Error = resp.Status
	}
	switch resp.StatusCode {
	case http.StatusConflict:
		return fmt.Errorf("%w: %s", ErrRefused, strings.TrimPrefix(r.Error, ErrRefused.Error()+": "))
	case http.StatusGatewayTimeout:
		return fmt.Errorf("%w: %s", ErrNoAnswer, r.Error)
	}
	return fmt.Errorf("hsup answered %s: %s", resp.Status, r.Error)
}
