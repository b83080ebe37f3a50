package statuspage

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// element is the markup of the first <tag id="id"> up to its closing tag
// (sections and svgs do not nest in the page), "" when absent.
func element(page, tag, id string) string {
	re := regexp.MustCompile(`(?s)<` + tag + ` id="` + regexp.QuoteMeta(id) + `".*?</` + tag + `>`)
	return re.FindString(page)
}

// fullHistory is an hour of a leaking child restarted once for health.
func fullHistory(now time.Time) *History {
	h := NewHistory()
	start := now.Add(-time.Hour)
	for i := range BucketCap {
		at := start.Add(time.Duration(i) * BucketWidth)
		h.FDs(at, 10+i, 512)
		h.Probe("cheap", at, time.Duration(2+i%5)*time.Millisecond, i == 200)
		if i%6 == 0 {
			h.Probe("deep", at, 40*time.Millisecond, false)
		}
	}
	restart := start.Add(40 * time.Minute)
	h.Record(Entry{At: restart, Kind: KindDegraded, Pid: 41, Reason: "health", Detail: "2 failed health probes"})
	h.Record(Entry{At: restart, Kind: KindBundle, Pid: 41, Reason: "health", Bundle: "/b/1"})
	h.Record(Entry{At: restart, Kind: KindRestart, Reason: "health", Detail: "2 failed health probes", Attempt: 1, Delay: time.Second})
	return h
}

func serve(t testing.TB, p *Page, method string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest(method, "/", nil))
	return rec
}

func TestPageRendersStatusTimelineChartsBundle(t *testing.T) {
	now := t0.Add(2 * time.Hour)
	dir := filepath.Join(t.TempDir(), "bundle-1")
	writeSummary(t, dir, `{"reason":"health","cause":"the app stopped accepting; /s/state.db holds 300 descriptors","pid":41,`+
		`"captured_at":"2026-03-01T13:40:00.000Z","open_fds":310,"nofile_soft":1024,"top_files":[{"path":"/s/state.db","count":300}],`+
		`"failing_checks":[{"name":"state_db","status":"error","error":"OperationalError"}]}`)
	st := Status{State: "running", Pid: 42, StartedAt: now.Add(-20 * time.Minute), Restarts: 1, LastRestartReason: "health",
		LastRestartDetail: "2 failed health probes", LastBundle: dir, FDsKnown: true, OpenFDs: 12, FDLimit: 512}
	p := New(Options{Name: "webui", Started: t0, Status: func() Status { return st }, History: fullHistory(now),
		Now: func() time.Time { return now }, Location: time.UTC})
	rec := serve(t, p, http.MethodGet)
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" || rec.Header().Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Fatalf("status %d, headers %v", rec.Code, rec.Header())
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q forbids nothing", csp)
	}
	checks := []struct{ where, what, want string }{
		{"status table", element(body, "table", "status"), "running"},
		{"status table", element(body, "table", "status"), "pid 42"},
		{"status table", element(body, "table", "status"), "12 of 512 (2.3%)"},
		{"status table", element(body, "table", "status"), "1 since hsup started"},
		{"timeline", element(body, "section", "timeline"), `<span class="reason">health</span>`},
		{"timeline", element(body, "section", "timeline"), "2 failed health probes"},
		{"timeline", element(body, "section", "timeline"), "attempt 1, next start after 1s"},
		{"timeline", element(body, "section", "timeline"), `<rect class="bar"`},
		{"FD chart", element(body, "svg", "fds-chart"), `<path class="fds" d="M`},
		{"FD chart", element(body, "svg", "fds-chart"), `class="limit"`},
		{"FD chart", element(body, "svg", "fds-chart"), `class="restart-mark"`},
		{"latency chart", element(body, "svg", "latency-chart"), `<path class="probe-cheap" d="M`},
		{"latency chart", element(body, "svg", "latency-chart"), `<path class="probe-deep" d="M`},
		{"latency chart", element(body, "svg", "latency-chart"), `<circle class="fail"`},
		{"bundle", element(body, "section", "bundle"), dir},
		{"bundle", element(body, "section", "bundle"), "310 of 1024"},
		{"bundle", element(body, "section", "bundle"), `<td id="bundle-cause">the app stopped accepting; /s/state.db holds 300 descriptors</td>`},
		{"bundle", element(body, "section", "bundle"), `<span class="reason">state_db</span> error <span class="note">OperationalError</span>`},
		{"bundle", element(body, "section", "bundle"), "<td>300</td><td><code>/s/state.db</code></td>"},
	}
	for _, c := range checks {
		if !strings.Contains(c.what, c.want) {
			t.Errorf("%s does not show %q:\n%s", c.where, c.want, c.what)
		}
	}
	selfContained(t, body)
}

// selfContained fails for anything that would load: scripts, styles or
// images from elsewhere.
func selfContained(t *testing.T, body string) {
	t.Helper()
	for _, bad := range []string{"<script", "<link", "<img", "<image", "<iframe", "<object", "<embed", "<audio", "<video", "<source", "<use", "@import", "url(", `href="http`} {
		if strings.Contains(body, bad) {
			t.Errorf("the page has %q: it must load nothing", bad)
		}
	}
}

// TestPageEscapes: what the child, its output or its paths put in a
// reason, a sentence or a file name is shown, never interpreted.
func TestPageEscapes(t *testing.T) {
	evil := `<script>alert("x")</script>&`
	dir := filepath.Join(t.TempDir(), "b")
	writeSummary(t, dir, `{"reason":"health","top_files":[{"path":"<img src=x onerror=alert(1)>","count":3}]}`)
	h := NewHistory()
	h.Record(Entry{At: t0, Kind: KindRestart, Reason: evil, Detail: evil})
	p := New(Options{Name: evil, Started: t0, History: h, Now: func() time.Time { return t0.Add(time.Minute) }, Location: time.UTC,
		Status: func() Status {
			return Status{State: evil, LastRestartReason: evil, LastRestartDetail: evil, LastBundle: dir}
		}})
	body := serve(t, p, http.MethodGet).Body.String()
	selfContained(t, body)
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;") || !strings.Contains(body, "&lt;img src=x") {
		t.Errorf("escaped forms missing:\n%s", body)
	}
}

func TestPageEmptyAndMethods(t *testing.T) {
	p := New(Options{Name: "x", Started: t0, Now: func() time.Time { return t0.Add(5 * time.Second) },
		Status: func() Status { return Status{State: "starting"} }})
	body := serve(t, p, http.MethodGet).Body.String()
	for _, want := range []string{"no samples yet", "No bundle yet.", "No restart or degraded verdict in the last 24 hours.", "not counted yet"} {
		if !strings.Contains(body, want) {
			t.Errorf("an empty page does not say %q", want)
		}
	}
	head := serve(t, p, http.MethodHead)
	if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d, %d bytes, Content-Length %q", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
	if post := serve(t, p, http.MethodPost); post.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", post.Code)
	}
}

func TestPageBundleUnreadable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no-summary")
	p := New(Options{Name: "x", Started: t0, Now: func() time.Time { return t0 },
		Status: func() Status { return Status{State: "running", LastBundle: dir} }})
	b := element(serve(t, p, http.MethodGet).Body.String(), "section", "bundle")
	if !strings.Contains(b, dir) || !strings.Contains(b, "summary.json: open") {
		t.Errorf("an unreadable summary is not shown with its path and error:\n%s", b)
	}
}

// BenchmarkServe is the page's cost with full rings: an hour of samples,
// the timeline's entries, and a bundle summary (read once, then cached).
func BenchmarkServe(b *testing.B) {
	now := t0.Add(2 * time.Hour)
	h := fullHistory(now)
	for i := range EntryCap {
		h.Record(Entry{At: now.Add(-time.Duration(EntryCap-i) * time.Minute), Kind: KindRestart, Reason: "health", Detail: "2 failed health probes"})
	}
	dir := filepath.Join(b.TempDir(), "bundle")
	writeSummary(b, dir, `{"reason":"health","open_fds":310,"nofile_soft":1024,"top_files":[{"path":"/s/state.db","count":300}]}`)
	p := New(Options{Name: "webui", Started: t0, History: h, Now: func() time.Time { return now },
		Status: func() Status { return Status{State: "running", Pid: 42, LastBundle: dir} }})
	var size int
	for b.Loop() {
		size = serve(b, p, http.MethodGet).Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}
