package healthcheck

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Hostile health endpoints: whatever the child answers, one probe ends
// within its timeout (plus a margin for a shared machine), reads a bounded
// amount of memory, never panics, and lands in the class written below.
const (
	hostileTimeout = time.Second
	hostileMargin  = time.Second // scheduling on a loaded 2-core machine, -race
	hostileAlloc   = 16 << 20    // per probe, server side included: far below 100 MB
)

func TestProbeHostileEndpoints(t *testing.T) {
	tests := []struct {
		name   string
		url    func(t *testing.T) string
		want   Result
		alsoOK Result // a second acceptable class, "" for none
	}{
		// The body is capped at MaxBody: 100 MB are never read, and a 200
		// with a text body is ok.
		{name: "100MB body 200 text", url: handlerURL(hugeBody(100 << 20)), want: OK},
		// Headers arrive, then one body byte a second: the deadline cuts it.
		{name: "body trickles a byte a second", url: handlerURL(trickleBody), want: Timeout},
		// The status line itself trickles: no headers within the timeout.
		{name: "headers trickle a byte a second", url: rawURL(trickleHeaders), want: Timeout},
		{name: "invalid JSON 200", url: handlerURL(fixedBody(200, `{"status": "ok", oops`)), want: OK},
		// 100,000 levels are cut to MaxBody and encoding/json bounds depth:
		// not a JSON object, so a 200 is ok (degraded would also be sound).
		{name: "JSON nested 100000 deep", url: handlerURL(fixedBody(200, strings.Repeat(`{"a":`, 100000))),
			want: OK, alsoOK: Degraded},
		{name: "array nested 100000 deep", url: handlerURL(fixedBody(200, strings.Repeat("[", 100000))),
			want: OK, alsoOK: Degraded},
		// Past Transport.MaxResponseHeaderBytes (= MaxBody): bad HTTP.
		{name: "1MB header", url: handlerURL(bigHeader(1 << 20)), want: Error},
		// Redirects are not followed: a loop is one 302, classified error.
		{name: "redirect loop", url: handlerURL(redirectLoop), want: Error},
		{name: "SSH banner", url: rawURL(writeAndHold([]byte("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"))), want: Error},
		{name: "binary garbage", url: rawURL(writeAndHold(garbage(256))), want: Error},
		{name: "garbage then close", url: rawURL(writeAndClose(garbage(100))), want: Error},
		{name: "HTTP/0.9 style body only", url: rawURL(writeAndClose([]byte(`{"status":"ok"}`))), want: Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url(t)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			o := Probe(context.Background(), url, hostileTimeout, "accept_loop.requests_total")
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if o.Result != tt.want && (tt.alsoOK == "" || o.Result != tt.alsoOK) {
				t.Errorf("result %q (detail %q), want %q", o.Result, o.Detail, tt.want)
			}
			if took > hostileTimeout+hostileMargin {
				t.Errorf("probe took %v, want at most %v", took, hostileTimeout+hostileMargin)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > hostileAlloc {
				t.Errorf("probe allocated %d bytes, want at most %d", alloc, hostileAlloc)
			}
			if len(o.Detail) > maxDetail+3 {
				t.Errorf("detail is %d bytes, want at most %d", len(o.Detail), maxDetail+3)
			}
			if o.HasHeartbeat {
				t.Errorf("heartbeat %v found in a hostile body", o.Heartbeat)
			}
		})
	}
}

// handlerURL serves h with a server closed (and its handlers waited for)
// at the end of the test.
func handlerURL(h http.HandlerFunc) func(t *testing.T) string {
	return func(t *testing.T) string { return serve(t, h).URL + "/health" }
}

// hugeBody announces and streams n bytes from one reused chunk, stopping
// when the client goes away, so the server itself allocates little.
func hugeBody(n int) http.HandlerFunc {
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.WriteHeader(200)
		for sent := 0; sent < n; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

func trickleBody(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	w.(http.Flusher).Flush()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if _, err := w.Write([]byte(" ")); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

func fixedBody(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func bigHeader(n int) http.HandlerFunc {
	v := strings.Repeat("h", n)
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Big", v)
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}
}

func redirectLoop(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, r.URL.Path, http.StatusFound)
}

func garbage(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*131 + 7)
	}
	return b
}

// rawURL accepts connections on 127.0.0.1 and hands each to serve with a
// channel closed when the test ends. The listener and every handler
// goroutine are stopped and waited for in t.Cleanup.
func rawURL(serve func(c net.Conn, stop <-chan struct{})) func(t *testing.T) string {
	return func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				wg.Go(func() {
					defer c.Close()
					serve(c, stop)
				})
			}
		})
		t.Cleanup(func() {
			close(stop)
			_ = ln.Close()
			wg.Wait()
		})
		return "http://" + ln.Addr().String() + "/health"
	}
}

// writeAndHold writes b and keeps the connection open until the client
// closes it or the test ends.
func writeAndHold(b []byte) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, stop <-chan struct{}) {
		_, _ = c.Write(b)
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			_, _ = io.Copy(io.Discard, c)
		}()
		select {
		case <-closed:
		case <-stop:
			_ = c.Close()
			<-closed
		}
	}
}

func writeAndClose(b []byte) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, _ <-chan struct{}) {
		buf := make([]byte, 4096)
		_ = c.SetReadDeadline(time.Now().Add(hostileTimeout))
		_, _ = c.Read(buf) // let the request arrive, so the close is not a reset
		_, _ = c.Write(b)
	}
}

// trickleHeaders reads the request (a response before it is "unsolicited"
// and fails at once), then sends a valid answer one byte a second.
func trickleHeaders(c net.Conn, stop <-chan struct{}) {
	_ = c.SetReadDeadline(time.Now().Add(hostileTimeout))
	if _, err := c.Read(make([]byte, 4096)); err != nil {
		return
	}
	msg := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for _, b := range msg {
		if _, err := c.Write([]byte{b}); err != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}
