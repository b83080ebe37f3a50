package demoapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shortWait is how long a client waits to be sure no answer is coming.
const shortWait = 300 * time.Millisecond

func TestHealthShape(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	resp, body := fresh(t, http.MethodGet, "http://"+a.addr+"/health")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d type %q, want 200 application/json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	wantKeys := []string{"accept_loop", "active_runs", "active_streams", "last_run_finished_at", "pid",
		"runs", "server_started_at", "sessions", "status", "uptime_seconds"}
	if keys := sortedKeys(m); !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("keys %q, want %q", keys, wantKeys)
	}
	if !bytes.HasPrefix(body, []byte(`{"status":"ok","sessions":0,"active_streams":0,"active_runs":0,"runs":[],"last_run_finished_at":null,"server_started_at":`)) {
		t.Errorf("body does not start like the WebUI's: %s", body)
	}
	if m["pid"] != float64(os.Getpid()) {
		t.Errorf("pid %v, want %d", m["pid"], os.Getpid())
	}
	loop, _ := m["accept_loop"].(map[string]any)
	if keys := sortedKeys(loop); !reflect.DeepEqual(keys, []string{"last_request_at", "requests_total"}) {
		t.Errorf("accept_loop keys %q", keys)
	}
	started, _ := m["server_started_at"].(float64)
	last, _ := loop["last_request_at"].(float64)
	if now := float64(time.Now().UnixNano()) / 1e9; started <= 0 || last < started || last > now+1 {
		t.Errorf("server_started_at %v, last_request_at %v, now %v: want started <= last <= now", started, last, now)
	}
	if again := a.health(t); again.ServerStartedAt != started {
		t.Errorf("server_started_at moved from %v to %v", started, again.ServerStartedAt)
	}
	if resp, _ := fresh(t, http.MethodHead, "http://"+a.addr+"/health"); resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("HEAD /health: %d, want 501", resp.StatusCode)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := []string{}
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestCounterCountsConnections(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	first := a.health(t).AcceptLoop.RequestsTotal
	if second := a.health(t).AcceptLoop.RequestsTotal; second != first+1 {
		t.Fatalf("fresh connections: requests_total %d then %d, want +1", first, second)
	}
	k := dialKeep(t, a.addr)
	onKeep := k.health(t).AcceptLoop.RequestsTotal
	if onKeep != first+2 {
		t.Errorf("kept connection: requests_total %d, want %d", onKeep, first+2)
	}
	for i := 0; i < 3; i++ {
		if got := k.health(t).AcceptLoop.RequestsTotal; got != onKeep {
			t.Errorf("keep-alive request %d: requests_total %d, want unchanged %d", i, got, onKeep)
		}
	}
	if got := a.health(t).AcceptLoop.RequestsTotal; got != onKeep+1 {
		t.Errorf("fresh after keep-alive: requests_total %d, want %d", got, onKeep+1)
	}
}

func TestNoAccept(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	k := dialKeep(t, a.addr)
	k.health(t)
	if ans := a.flip(t, "noaccept"); !reflect.DeepEqual(ans.On, []string{"noaccept"}) {
		t.Fatalf("answer %+v, want noaccept on", ans)
	}
	before := k.health(t).AcceptLoop.RequestsTotal
	for i := 0; i < 3; i++ {
		c := rawRequest(t, a.addr, "/health") // connect completes through the backlog
		if got, err := readWithin(t, c, shortWait); !isTimeout(err) || len(got) != 0 {
			t.Fatalf("connection %d: read %q, %v; want no answer (timeout)", i, got, err)
		}
	}
	if after := k.health(t).AcceptLoop.RequestsTotal; after != before {
		t.Errorf("requests_total moved from %d to %d: Accept was called", before, after)
	}
	a.cancel()
	if err := a.result(t); err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
}

func TestHangAndShutdown(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	k := dialKeep(t, a.addr)
	a.flip(t, "hang")
	before := k.health(t).AcceptLoop.RequestsTotal
	c := rawRequest(t, a.addr, "/health")
	if got, err := readWithin(t, c, shortWait); !isTimeout(err) || len(got) != 0 {
		t.Fatalf("read %q, %v; want no answer (timeout)", got, err)
	}
	if after := k.health(t).AcceptLoop.RequestsTotal; after != before+1 {
		t.Errorf("requests_total %d, want %d: a hung connection is still accepted", after, before+1)
	}
	a.cancel()
	if err := a.result(t); err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	// Closed with unread data, so EOF or reset: anything but still open.
	if got, err := readWithin(t, c, waitLimit); isTimeout(err) || len(got) != 0 {
		t.Errorf("hung connection after shutdown: read %q, %v; want it closed", got, err)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	a.flip(t, "reset")
	for i := 0; i < 3; i++ {
		if err := resetSeen(t, a.addr); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("connection %d: %v; want ECONNRESET", i, err)
		}
	}
	client := &http.Client{Timeout: waitLimit, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Get("http://" + a.addr + "/health"); err == nil {
		resp.Body.Close()
		t.Errorf("GET /health answered %d, want a connection error", resp.StatusCode)
	}
}

// resetSeen connects without sending anything and returns the first error
// the client sees. On loopback the reset can already fail the connect.
func resetSeen(t *testing.T, addr string) error {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitLimit)
	if err != nil {
		return err
	}
	defer c.Close()
	got, err := readWithin(t, c, waitLimit)
	if err == nil {
		return fmt.Errorf("read %q and a clean EOF", got)
	}
	return err
}

func TestDeep(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	deepURL := "http://" + a.addr + "/health?deep=1"
	resp, body := fresh(t, http.MethodGet, deepURL)
	r := decode[healthReport](t, body)
	if resp.StatusCode != http.StatusOK || r.Status != "ok" || r.Checks == nil || r.Checks.StateDB.Status != "ok" {
		t.Fatalf("healthy deep: %d %s", resp.StatusCode, body)
	}
	for _, v := range []string{"true", "yes", "on"} {
		if _, body := fresh(t, http.MethodGet, "http://"+a.addr+"/health?deep="+v); !bytes.Contains(body, []byte(`"checks":`)) {
			t.Errorf("deep=%s: no checks in %s", v, body)
		}
	}
	if _, body := fresh(t, http.MethodGet, "http://"+a.addr+"/health?deep=0"); bytes.Contains(body, []byte(`"checks"`)) {
		t.Errorf("deep=0 ran checks: %s", body)
	}

	a.flip(t, "deep")
	resp, body = fresh(t, http.MethodGet, deepURL)
	r = decode[healthReport](t, body)
	if resp.StatusCode != http.StatusServiceUnavailable || r.Status != "degraded" || r.Checks == nil ||
		r.Checks.StateDB.Status != "error" || r.Checks.StateDB.Error != "OperationalError" {
		t.Errorf("deep switch: %d %s; want 503 degraded with state_db OperationalError", resp.StatusCode, body)
	}
	if !bytes.Contains(body, []byte(`"state_db":{"status":"error","error":"OperationalError","ms":`)) {
		t.Errorf("state_db shape: %s", body)
	}
	if cheap := a.health(t); cheap.Status != "ok" {
		t.Errorf("cheap probe under deep switch: %+v", cheap)
	}
	if ans := a.flip(t, "heal"); len(ans.On) != 0 {
		t.Errorf("heal answer %+v, want nothing on", ans)
	}
	if resp, body := fresh(t, http.MethodGet, deepURL); resp.StatusCode != http.StatusOK {
		t.Errorf("deep after heal: %d %s", resp.StatusCode, body)
	}
}

func TestFreeze(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	a.flip(t, "freeze")
	first := a.health(t)
	second := a.health(t)
	if first.AcceptLoop.RequestsTotal != second.AcceptLoop.RequestsTotal ||
		*first.AcceptLoop.LastRequestAt != *second.AcceptLoop.LastRequestAt {
		t.Errorf("frozen accept_loop moved: %+v then %+v", first.AcceptLoop, second.AcceptLoop)
	}
	a.flip(t, "heal") // accepted while still frozen, so not counted
	if got := a.health(t).AcceptLoop.RequestsTotal; got != second.AcceptLoop.RequestsTotal+1 {
		t.Errorf("after heal requests_total %d, want %d", got, second.AcceptLoop.RequestsTotal+1)
	}
}

func TestBusy(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	a.flip(t, "busy")
	c := rawRequest(t, a.addr, "/health?deep=1")
	raw, err := readWithin(t, c, waitLimit)
	if err != nil {
		t.Fatalf("read busy answer: %v", err)
	}
	head, body, _ := strings.Cut(string(raw), "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 503 ") || !strings.Contains(head, "\r\nContent-Length: 0") ||
		strings.Contains(head, "Content-Type") || body != "" {
		t.Errorf("busy answer %q, want a bare 503 with Content-Length: 0 and no body", raw)
	}
	if resp, body := fresh(t, http.MethodGet, "http://"+a.addr+"/demo"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /demo while busy: %d %s; /demo must stay reachable", resp.StatusCode, body)
	}
	a.flip(t, "heal")
	a.health(t)
}

func TestLeakAnswers(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	if ans := a.flip(t, "leak?n=5"); ans.LeakedFDs == nil || *ans.LeakedFDs != 5 {
		t.Errorf("leak n=5: %+v, want 5 leaked", ans)
	}
	if ans := a.flip(t, "leak?n=3"); ans.LeakedFDs == nil || *ans.LeakedFDs != 8 {
		t.Errorf("leak n=3: %+v, want 8 leaked in total", ans)
	}
	for _, bad := range []string{"leak?n=0", "leak?n=many", "crash?code=256", "crash?code=-1"} {
		if resp, body := fresh(t, http.MethodPost, "http://"+a.addr+"/demo/"+bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST /demo/%s: %d %s, want 400", bad, resp.StatusCode, body)
		}
	}
	_, body := fresh(t, http.MethodGet, "http://"+a.addr+"/demo")
	list := decode[struct {
		Switches []struct {
			Name string
			On   bool
			Curl string
		}
		LeakedFDs int `json:"leaked_fds"`
	}](t, body)
	if list.LeakedFDs != 8 || len(list.Switches) != len(Switches()) {
		t.Errorf("GET /demo: %s", body)
	}
	if want := "curl -X POST http://" + a.addr + "/demo/noaccept"; list.Switches[0].Curl != want {
		t.Errorf("first curl %q, want %q", list.Switches[0].Curl, want)
	}
}

func TestUnknownAndWrongMethod(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	tests := []struct {
		name, method, path string
		want               int
	}{
		{name: "unknown switch", method: http.MethodPost, path: "/demo/explode", want: http.StatusNotFound},
		{name: "GET on a switch", method: http.MethodGet, path: "/demo/deep", want: http.StatusMethodNotAllowed},
		{name: "POST on health", method: http.MethodPost, path: "/health", want: http.StatusMethodNotAllowed},
		{name: "unknown path", method: http.MethodGet, path: "/nope", want: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if resp, body := fresh(t, tt.method, "http://"+a.addr+tt.path); resp.StatusCode != tt.want {
				t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, resp.StatusCode, body, tt.want)
			}
		})
	}
	if on := a.health(t); on.Status != "ok" {
		t.Errorf("health after bad requests: %+v", on)
	}
}

func TestCrash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path string
		want       int
	}{
		{name: "given code", path: "crash?code=7", want: 7},
		{name: "default code", path: "crash", want: 1},
		{name: "code zero", path: "crash?code=0", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, Config{})
			if ans := a.flip(t, tt.path); ans.ExitCode == nil || *ans.ExitCode != tt.want {
				t.Errorf("answer %+v, want exit_code %d", ans, tt.want)
			}
			var exit *ExitError
			if err := a.result(t); !errors.As(err, &exit) || exit.Code != tt.want {
				t.Errorf("Run = %v, want *ExitError{Code: %d}", err, tt.want)
			}
		})
	}
}
