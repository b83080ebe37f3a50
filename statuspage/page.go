package statuspage

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Status is the supervisor's published status as the page shows it. Zero
// times mean unknown or never.
type Status struct {
	State        string // starting, running, capturing, stopping, backoff, stopped
	Pid          int    // 0 when no child process exists
	StartedAt    time.Time
	RunningSince time.Time // the current child first proved healthy

	Restarts          int // since hsup started
	LastRestartReason string
	LastRestartDetail string // the verdict's sentence
	LastExitCode      int
	Exited            bool // LastExitCode is meaningful

	Backoff      time.Duration // the current wait before the next start, 0 when none
	BackoffUntil time.Time
	LastBundle   string // directory of the latest bundle, "" when none

	Verdict       string // the current child's degraded verdict, "" when none
	VerdictDetail string

	ProbeFailures       int
	HeartbeatKnown      bool
	HeartbeatValue      float64
	HeartbeatAdvancedAt time.Time

	FDsKnown bool
	OpenFDs  int
	FDLimit  uint64 // 0 unknown
}

// Options configures New.
type Options struct {
	Name     string        // the service's name, in the title
	Started  time.Time     // when hsup started
	Status   func() Status // the current status; must not block
	History  *History      // what the timeline and charts show; nil: an empty one
	Now      func() time.Time
	Location *time.Location // zone of the times shown; nil: time.Local
}

// Page is the status page's http.Handler.
type Page struct {
	opts Options
	sums summaries
}

// New returns the page. Status is required.
func New(opts Options) *Page {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.History == nil {
		opts.History = NewHistory()
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	return &Page{opts: opts}
}

//go:embed page.html
var pageHTML string

// pageTmpl parses the page when it is first served: a parsed template is
// tens of KiB that an hsup nobody looks at would hold for its whole life.
var pageTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(pageHTML))
})

// csp forbids scripts and every fetch: the page is one document with
// inline styles and SVG, by construction.
const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// ServeHTTP renders the page. It reads the published status and a
// snapshot of the History, and the latest bundle's summary (once per
// bundle, waiting at most a second); it never waits on the supervisor.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var buf bytes.Buffer
	if err := pageTmpl().Execute(&buf, p.view()); err != nil {
		http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(buf.Bytes()) // a client that went away notices by itself
}

// view gathers what the template shows, at one moment.
func (p *Page) view() view {
	now := p.opts.Now()
	st := p.opts.Status()
	snap := p.opts.History.snapshot()
	var b *bundleView
	if st.LastBundle != "" {
		sum, err := p.sums.get(st.LastBundle, summaryWait)
		b = newBundleView(st.LastBundle, sum, err, p.opts.Location)
	}
	return buildView(p.opts.Name, p.opts.Started, st, snap, b, now, p.opts.Location)
}
