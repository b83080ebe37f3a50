package healthcheck

import (
	"io"
	"net/http"
	"time"
)

// Evidence bounds: what a Monitor keeps of its probes for the diagnostics
// bundle. The verdict reads up to MaxBody, streamed, whatever is kept.
const (
	// KeptBody is how much of a probe's body its Reply keeps: a WebUI
	// answer is well under 1 KiB; a body that goes on is cut here, so two
	// kept replies cost hsup at most 128 KiB.
	KeptBody = 64 << 10
	// HistoryLen is how many recent probes (of both kinds) a Monitor keeps.
	HistoryLen = 32
)

// keptHeaders are the response headers a Reply keeps: what says what the
// body is and who answered, not cookies or anything secret.
var keptHeaders = []string{"Content-Type", "Content-Length", "Retry-After", "Server", "Date"}

// Reply is what came back to one probe, kept as evidence: the HTTP
// status, a few headers and the head of the body as the probe read it
// (the probe stops reading once the verdict is known, so a long body
// whose "status" comes first is kept only as far as it was read). Never
// changed once made.
type Reply struct {
	Status int
	Header map[string]string // those of keptHeaders the answer had
	Body   []byte            // at most KeptBody bytes
	// Complete: Body is the whole body (the probe read it to its end, or
	// it is as long as Content-Length said).
	Complete bool
}

// Record is one probe in a Monitor's history.
type Record struct {
	Kind     Kind
	At       time.Time
	Result   Result
	Status   int // HTTP status, 0 when there was no HTTP answer
	Duration time.Duration
}

// Evidence is what a Monitor keeps of the current (or last) child's
// probes, for the diagnostics bundle.
type Evidence struct {
	URL     map[Kind]string  // the URL of each kind of probe
	Last    map[Kind]Outcome // the last probe of each kind, with its Reply
	History []Record         // the last HistoryLen probes, oldest first
}

// keeper passes a body through to the scanner and keeps a copy of its
// first KeptBody bytes. The copy grows with the body: a health answer is
// a few hundred bytes, and a buffer of the bound per probe would be most
// of what hsup allocates at idle.
type keeper struct {
	r    io.Reader
	buf  []byte
	over bool // more was read than kept
	eof  bool
}

func newKeeper(r io.Reader) *keeper { return &keeper{r: r} }

func (k *keeper) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	c := min(n, KeptBody-len(k.buf))
	k.buf = append(k.buf, p[:c]...)
	k.over = k.over || c < n
	k.eof = k.eof || err == io.EOF
	return n, err
}

// body returns what was kept.
func (k *keeper) body() []byte { return k.buf }

// reply is the Reply of resp, whose body was read through k (nil: the
// body was not read).
func reply(resp *http.Response, k *keeper) *Reply {
	r := &Reply{Status: resp.StatusCode, Header: map[string]string{}}
	for _, h := range keptHeaders {
		if v := resp.Header.Get(h); v != "" {
			r.Header[h] = v
		}
	}
	if k == nil {
		r.Complete = resp.ContentLength == 0
		return r
	}
	r.Body = k.body()
	r.Complete = !k.over && (k.eof || resp.ContentLength == int64(len(r.Body)))
	return r
}

// history is a ring of the last HistoryLen probe records.
type history struct {
	ring [HistoryLen]Record
	next int
	n    int
}

func (h *history) add(r Record) {
	h.ring[h.next] = r
	h.next = (h.next + 1) % HistoryLen
	h.n = min(h.n+1, HistoryLen)
}

// list returns the records, oldest first.
func (h *history) list() []Record {
	out := make([]Record, 0, h.n)
	for i := range h.n {
		out = append(out, h.ring[(h.next-h.n+i+HistoryLen)%HistoryLen])
	}
	return out
}
