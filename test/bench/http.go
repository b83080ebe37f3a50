package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// fresh is a client that opens a new connection per request, as hsup's
// probe does, so every request goes through the app's accept loop.
func fresh(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
}

// post flips a demo switch and returns the time the request was sent.
func post(ctx context.Context, url string) (time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return time.Time{}, fmt.Errorf("POST %s: %w", url, err)
	}
	sent := time.Now()
	resp, err := fresh(5 * time.Second).Do(req)
	if err != nil {
		return sent, fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return sent, fmt.Errorf("POST %s: status %d: %s", url, resp.StatusCode, body)
	}
	return sent, nil
}

// get fetches url on a fresh connection; status 0 means no answer.
func get(ctx context.Context, c *http.Client, url string) (int, []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body
}

// pollOK GETs url every 10 ms, each on a fresh connection, until one
// answers 200, and returns the time that answer arrived.
func pollOK(ctx context.Context, url string, timeout time.Duration) (time.Time, error) {
	c := fresh(200 * time.Millisecond)
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if code, _ := get(ctx, c, url); code == http.StatusOK {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s did not answer 200 within %v", url, timeout)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}
