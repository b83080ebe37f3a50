package healthcheck

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap/zaptest"
)

// TestProbeKeepsReply: a probe keeps the status, the chosen headers and
// the head of the body it read, and says whether that is the whole body.
func TestProbeKeepsReply(t *testing.T) {
	big := strings.Repeat("x", 2*KeptBody)
	cases := []struct {
		name     string
		h        http.HandlerFunc
		status   int
		body     string // the kept body, or its prefix when cut
		keptLen  int
		complete bool
		header   map[string]string
	}{
		{name: "webui ok", h: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(webUIBody))
		}, status: 200, body: webUIBody, keptLen: len(webUIBody), complete: true,
			header: map[string]string{"Content-Type": "application/json", "Content-Length": strconv.Itoa(len(webUIBody))}},
		{name: "deep degraded", h: fixedBody(503, `{"status":"degraded","checks":{"state_db":{"status":"error","error":"OperationalError"}}}`),
			status: 503, body: `{"status":"degraded","checks":{"state_db":{"status":"error","error":"OperationalError"}}}`, complete: true,
			keptLen: 89},
		{name: "bare 503", h: fixedBody(503, ""), status: 503, body: "", keptLen: 0, complete: true},
		{name: "status last, long", h: padded(200, `{"details":"`, 2*KeptBody, `","status":"ok"}`), status: 200,
			body: `{"details":"xxx`, keptLen: KeptBody, complete: false},
		{name: "status first, long: read only as far as needed", h: padded(200, `{"status":"degraded","error":"E","d":"`, 2*KeptBody, `"}`),
			status: 200, body: `{"status":"degraded","error":"E"`, complete: false},
		{name: "redirect: no body read", h: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(302)
			_, _ = w.Write([]byte(big))
		}, status: 302, body: "", keptLen: 0, complete: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Probe(t.Context(), serve(t, c.h).URL+"/health", 5*time.Second, "accept_loop.requests_total")
			r := o.Reply
			if r == nil {
				t.Fatalf("no Reply in %+v", o)
			}
			if r.Status != c.status || !bytes.HasPrefix(r.Body, []byte(c.body)) || r.Complete != c.complete {
				t.Errorf("Reply status %d, body %.80q, complete %v; want %d, %.80q, %v", r.Status, r.Body, r.Complete, c.status, c.body, c.complete)
			}
			if c.keptLen > 0 && len(r.Body) != c.keptLen || len(r.Body) > KeptBody {
				t.Errorf("kept %d bytes, want %d (at most %d)", len(r.Body), c.keptLen, KeptBody)
			}
			for k, v := range c.header {
				if r.Header[k] != v {
					t.Errorf("header %s = %q, want %q (all: %v)", k, r.Header[k], v, r.Header)
				}
			}
		})
	}
}

func TestProbeNoReplyWithoutAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o := Probe(t.Context(), "http://"+addr+"/health", time.Second, "")
	if o.Result == OK || o.Reply != nil {
		t.Errorf("probe of a closed port: %+v, reply %+v; want a failure and no Reply", o, o.Reply)
	}
}

func TestHistory(t *testing.T) {
	rec := func(i int) Record { return Record{Kind: Cheap, Status: i} }
	statuses := func(rs []Record) []int {
		var out []int
		for _, r := range rs {
			out = append(out, r.Status)
		}
		return out
	}
	cases := []struct {
		name  string
		added int
		first int // status of the oldest record listed
	}{
		{name: "empty", added: 0},
		{name: "one", added: 1, first: 1},
		{name: "full", added: HistoryLen, first: 1},
		{name: "wrapped", added: HistoryLen + 5, first: 6},
		{name: "wrapped twice", added: 3*HistoryLen + 1, first: 2*HistoryLen + 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h history
			for i := 1; i <= c.added; i++ {
				h.add(rec(i))
			}
			got := statuses(h.list())
			if len(got) != min(c.added, HistoryLen) {
				t.Fatalf("listed %d, want %d", len(got), min(c.added, HistoryLen))
			}
			for i, s := range got {
				if s != c.first+i {
					t.Fatalf("list %v, want oldest first from %d", got, c.first)
				}
			}
		})
	}
}

// TestMonitorEvidence: the monitor keeps the last probe of each kind with
// its reply and a bounded history, starts over for the next child, and
// its snapshot carries no reply and no zero times.
func TestMonitorEvidence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newFakeApp(appOK)
		w := startWatch(t, app, app.config(), zaptest.NewLogger(t))
		w.wantReport(t, reportCall{healthy: true})
		app.deepFail.Store(true)
		w.wantReport(t, reportCall{healthy: false, reason: ReasonDeep})
		w.wantReturn(t)
		for len(w.events) > 0 {
			if ev := <-w.events; ev.Outcome.Reply != nil {
				t.Fatalf("probe event %+v carries a reply: only the monitor keeps them", ev)
			}
		}
		e := w.mon.Evidence()
		deep, cheap := e.Last[Deep], e.Last[Cheap]
		if deep.Reply == nil || deep.Reply.Status != 503 || !strings.Contains(string(deep.Reply.Body), "OperationalError") {
			t.Errorf("last deep probe %+v, reply %+v; want the 503 with its body", deep, deep.Reply)
		}
		if cheap.Reply == nil || cheap.Reply.Status != 200 || !strings.Contains(string(cheap.Reply.Body), `"status":"ok"`) {
			t.Errorf("last cheap probe %+v, reply %+v; want the 200 with its body", cheap, cheap.Reply)
		}
		if e.URL[Cheap] == "" || e.URL[Deep] == "" {
			t.Errorf("URLs %v, want both kinds", e.URL)
		}
		if n := len(e.History); n < 3 || n > HistoryLen {
			t.Errorf("history of %d probes, want 3..%d", n, HistoryLen)
		}
		for i := 1; i < len(e.History); i++ {
			if e.History[i].At.Before(e.History[i-1].At) {
				t.Fatalf("history not oldest first: %+v", e.History)
			}
		}
		if last := e.History[len(e.History)-1]; last.Kind != Deep || last.Status != 503 || last.Result != Degraded {
			t.Errorf("newest record %+v, want the failing deep probe", last)
		}
		snap := w.mon.Snapshot()
		if snap.Deep == nil || snap.Deep.Reply != nil {
			t.Errorf("snapshot deep %+v, want the outcome without its reply", snap.Deep)
		}

		// The next child starts with nothing kept.
		app.deepFail.Store(false)
		app.set(appHang)
		w.start(t)
		synctest.Wait()
		if e := w.mon.Evidence(); len(e.Last) != 0 || len(e.History) != 0 {
			t.Errorf("evidence of the next child before any probe answered: %+v", e)
		}
		b, err := json.Marshal(w.mon.Snapshot())
		if err != nil || strings.Contains(string(b), "0001-01-01") {
			t.Errorf("snapshot JSON %s (%v): want no zero times", b, err)
		}
	})
}
