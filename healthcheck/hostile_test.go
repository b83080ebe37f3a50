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
		// A text body is read no further than its first byte: 100 MB are
		// never read, and a 200 with a text body is ok.
		{name: "100MB body 200 text", url: handlerURL(hugeBody(100 << 20)), want: OK},
		// Headers arrive, then one body byte a second: the deadline cuts it.
		{name: "body trickles a byte a second", url: handlerURL(trickleBody), want: Timeout},
		// The status line itself trickles: no headers within the timeout.
		{name: "headers trickle a byte a second", url: rawURL(trickleHeaders), want: Timeout},
		// A body that opens a JSON object is held to JSON: broken before the
		// heartbeat field, it is invalid (an ok without the field would turn
		// the heartbeat check off).
		{name: "invalid JSON 200", url: handlerURL(fixedBody(200, `{"status": "ok", oops`)), want: Invalid},
		// Nesting past encoding/json's 10000 levels is invalid JSON, found
		// with a byte a level of memory.
		{name: "JSON nested 100000 deep", url: handlerURL(fixedBody(200, strings.Repeat(`{"a":`, 100000))),
			want: Invalid},
		// Not a JSON object: read to its first byte, and a 200 is ok.
		{name: "array nested 100000 deep", url: handlerURL(fixedBody(200, strings.Repeat("[", 100000))),
			want: OK, alsoOK: Degraded},
		// Past Transport.MaxResponseHeaderBytes (maxHeader): bad HTTP.
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
			o := probeHostile(t, tt.url(t))
			if o.Result != tt.want && (tt.alsoOK == "" || o.Result != tt.alsoOK) {
				t.Errorf("result %q (detail %q), want %q", o.Result, o.Detail, tt.want)
			}
			if o.HasHeartbeat {
				t.Errorf("heartbeat %v found in a hostile body", o.Heartbeat)
			}
		})
	}
}

// probeHostile probes url once and checks what holds for any answer: the
// probe ends within its timeout, allocates a bounded amount and keeps its
// detail short.
func probeHostile(t *testing.T, url string) Outcome {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	o := Probe(context.Background(), url, hostileTimeout, "accept_loop.requests_total")
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if took > hostileTimeout+hostileMargin {
		t.Errorf("probe took %v, want at most %v", took, hostileTimeout+hostileMargin)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > hostileAlloc {
		t.Errorf("probe allocated %d bytes, want at most %d", alloc, hostileAlloc)
	}
	if len(o.Detail) > maxDetail+3 {
		t.Errorf("detail is %d bytes, want at most %d", len(o.Detail), maxDetail+3)
	}
	return o
}

// TestProbeLargeBodies: a body past the read bound never makes a verdict
// better than its head says (issue 12, item 6). Before the fix, the
// degraded answers behind a 70 KB field were ok (200) and busy (503), and
// the heartbeat field behind one was lost, turning the staleness check off.
func TestProbeLargeBodies(t *testing.T) {
	const (
		k70   = 70 << 10
		mib2  = 2 << 20
		mib10 = 10 << 20
		d     = `{"details":"`
	)
	tests := []struct {
		name   string
		url    func(t *testing.T) string
		want   Result
		wantHB float64 // 0: no heartbeat expected
	}{
		{name: "200 degraded after 70KB", want: Degraded, wantHB: 3,
			url: handlerURL(padded(200, d, k70, `","status":"degraded","accept_loop":{"requests_total":3}}`))},
		{name: "503 degraded after 70KB", want: Degraded, wantHB: 3,
			url: handlerURL(padded(503, d, k70, `","status":"degraded","accept_loop":{"requests_total":3}}`))},
		{name: "503 bare", url: handlerURL(padded(503, "", 0, "")), want: Busy},
		{name: "503 text", url: handlerURL(fixedBody(503, "Service Unavailable")), want: Degraded},
		{name: "200 ok then 10MiB", want: OK, wantHB: 5,
			url: handlerURL(padded(200, `{"status":"ok","accept_loop":{"requests_total":5},"details":"`, mib10, `"}`))},
		{name: "200 degraded then 10MiB", want: Degraded,
			url: handlerURL(padded(200, `{"status":"degraded","details":"`, mib10, `"}`))},
		{name: "503 degraded then 10MiB", want: Degraded,
			url: handlerURL(padded(503, `{"status":"degraded","details":"`, mib10, `"}`))},
		{name: "200 status after the bound", want: Invalid,
			url: handlerURL(padded(200, d, mib2, `","status":"degraded"}`))},
		{name: "503 status after the bound", want: Invalid,
			url: handlerURL(padded(503, d, mib2, `","status":"degraded"}`))},
		{name: "200 ok, heartbeat after 70KB", want: OK, wantHB: 9,
			url: handlerURL(padded(200, `{"status":"ok","details":"`, k70, `","accept_loop":{"requests_total":9}}`))},
		{name: "200 ok, heartbeat after the bound", want: Invalid,
			url: handlerURL(padded(200, `{"status":"ok","details":"`, mib2, `","accept_loop":{"requests_total":9}}`))},
		{name: "200 ok after 70KB, no heartbeat field", want: OK,
			url: handlerURL(padded(200, d, k70, `","status":"ok"}`))},
		{name: "200 closed mid-body (Content-Length)", want: Invalid,
			url: rawURL(writeAndClose([]byte("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"status\":\"o")))},
		{name: "503 closed mid-body (chunked)", want: Invalid,
			url: rawURL(writeAndClose([]byte("HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n" +
				"40\r\n{\"details\":\"x\",\"status\":\"degr")))},
		{name: "200 closed mid-body (no length)", want: Invalid,
			url: rawURL(writeAndClose([]byte("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"details\":\"x\",\"status\":\"de")))},
		{name: "503 body announced, none sent", want: Invalid,
			url: rawURL(writeAndClose([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 50\r\n\r\n")))},
		{name: "200 reset mid-body", want: Reset,
			url: rawURL(resetAfter([]byte("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"details\":\"x")))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := probeHostile(t, tt.url(t))
			if o.Result != tt.want {
				t.Errorf("result %q (detail %q), want %q", o.Result, o.Detail, tt.want)
			}
			if tt.wantHB != 0 && (!o.HasHeartbeat || o.Heartbeat != tt.wantHB) {
				t.Errorf("heartbeat %v, %v; want %v", o.Heartbeat, o.HasHeartbeat, tt.wantHB)
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

// resetAfter reads the request, writes b and resets the connection.
func resetAfter(b []byte) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, _ <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(hostileTimeout))
		_, _ = c.Read(make([]byte, 4096))
		_, _ = c.Write(b)
		_ = c.(*net.TCPConn).SetLinger(0)
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
