package healthcheck

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxBody bounds how much of a response body a probe reads. The body is
// streamed, never held whole: a probe looks for the top-level "status"
// (and "error") and the heartbeat field wherever they are in the first
// MaxBody bytes and stops reading as soon as it has what the verdict
// needs, so its memory does not grow with the body.
const MaxBody = 1 << 20

// maxDepth is encoding/json's nesting limit: a body nested deeper is
// invalid here as it is there.
const maxDepth = 10000

// Capture bounds: a probe keeps at most this much of one value.
const (
	maxText = 1 << 10 // raw "status" / "error" value; longer is never "ok" and is shortened anyway
	maxKey  = 1 << 10 // raw key; a longer key matches no field name
	maxNum  = 1 << 10 // raw heartbeat number; a longer one is not a counter
)

// Why a body could not be read as far as the verdict needed. Other read
// errors (a timeout, a reset) are the transport's and classified as such.
var (
	errSyntax    = errors.New("invalid JSON")
	errCut       = fmt.Errorf("the body goes on past the %d-byte read bound", MaxBody)
	errTruncated = errors.New("the body ends before its JSON does")
)

// bodyFault reports whether err is about the body's bytes rather than the
// transport: a truncation or a syntax error, or the read bound.
func bodyFault(err error) bool {
	return errors.Is(err, errSyntax) || errors.Is(err, errCut) || errors.Is(err, errTruncated)
}

// answer is what a probe learned from one response body.
//
// What the verdict needs: the top-level "status" and, when that is "ok"
// in a 2xx answer and a heartbeat field is configured, the heartbeat
// field (found or shown absent). What it wants besides, for the detail
// and the record: "error" and the heartbeat in a non-ok answer. Reading
// stops when nothing is needed or wanted any more, at the end of the
// object, at a fault, or at the bound. The first occurrence of a key
// counts (encoding/json's map decoding would keep the last).
type answer struct {
	opened       bool // a byte other than white space was read
	first        byte // the first such byte
	complete     bool // the top-level object was read to its closing brace
	fault        error
	okCounts     bool // a 2xx answer: status "ok" means healthy, so the heartbeat is needed
	wantHB       bool // a heartbeat field is configured
	hbDone       bool // the heartbeat field was found, or shown absent
	hasStatus    bool
	hasError     bool
	hasHeartbeat bool
	status       string // strings unquoted, other JSON values verbatim
	errText      string
	heartbeat    float64
}

// statusOK reports whether the answer's "status" says healthy.
func (a *answer) statusOK() bool { return a.hasStatus && strings.EqualFold(a.status, "ok") }

// known reports whether the body said all that the verdict needs.
func (a *answer) known() bool {
	if a.complete {
		return true
	}
	if !a.hasStatus {
		return false
	}
	return !(a.okCounts && a.statusOK()) || !a.wantHB || a.hbDone
}

// done reports whether there is nothing left worth reading.
func (a *answer) done() bool {
	if !a.hasStatus || (a.wantHB && !a.hbDone) {
		return false
	}
	return a.hasError || (a.okCounts && a.statusOK())
}

// detail is the JSON "status" (plus "error" when present), shortened.
func (a *answer) detail() string {
	if a.hasError && a.errText != "" && a.errText != "null" {
		if a.status == "" {
			return shorten(a.errText)
		}
		return shorten(a.status + ": " + a.errText)
	}
	return shorten(a.status)
}

// readAnswer reads at most limit bytes of body (an HTTP answer with the
// given status) looking for what the verdict needs; path is the dotted
// heartbeat field, "" for none. Bodies that are not a JSON object are
// read only up to their first non-space byte.
func readAnswer(body io.Reader, limit int64, status int, path string) answer {
	a := answer{okCounts: status >= 200 && status < 300, wantHB: path != ""}
	s := newScanner(body, limit)
	defer s.free()
	c, ok := s.space()
	if !ok {
		if s.err != io.EOF {
			a.fault = s.short()
		}
		return a
	}
	a.opened, a.first = true, c
	if c != '{' {
		return a
	}
	s.next()
	var segs []string
	if a.wantHB {
		segs = strings.Split(path, ".")
	}
	a.fault = s.top(&a, segs)
	return a
}

// top reads the members of the top-level object, whose brace is read.
func (s *scanner) top(a *answer, segs []string) error {
	c, ok := s.space()
	if !ok {
		return s.short()
	}
	if c == '}' {
		s.next()
		a.complete = true
		return nil
	}
	for {
		if err := s.key(); err != nil {
			return err
		}
		if err := s.member(a, segs); err != nil {
			return err
		}
		if a.done() {
			return nil
		}
		c, ok := s.space()
		switch {
		case !ok:
			return s.short()
		case c == ',':
			s.next()
		case c == '}':
			s.next()
			a.complete = true
			return nil
		default:
			return s.syntax("after an object member")
		}
	}
}

// member reads the value of the top-level key just read.
func (s *scanner) member(a *answer, segs []string) error {
	isStatus := !a.hasStatus && s.keyIs("status")
	isError := !a.hasError && s.keyIs("error")
	isHB := a.wantHB && !a.hbDone && s.keyIs(segs[0])
	if !isStatus && !isError && !isHB {
		return s.skip(1)
	}
	if _, ok := s.space(); !ok {
		return s.short()
	}
	s.rec, s.recording = s.recBuf[:0], isStatus || isError
	var err error
	if isHB {
		err = s.field(a, segs[1:], 1)
	} else {
		err = s.skip(1)
	}
	s.recording = false
	if err != nil {
		return err
	}
	switch {
	case isStatus:
		a.status, a.hasStatus = text(s.rec), true
	case isError:
		a.errText, a.hasError = text(s.rec), true
	}
	return nil
}

// field reads a value at depth that lies on the heartbeat path; rest is
// the path below it. It marks the heartbeat found or absent, and returns
// early, mid-object, once nothing is left worth reading.
func (s *scanner) field(a *answer, rest []string, depth int) error {
	c, _ := s.peek() // the caller has seen it
	if len(rest) == 0 {
		a.hbDone = true
		if c != '-' && !isDigit(c) {
			return s.skip(depth)
		}
		raw, over, err := s.number(true)
		if err == nil && !over {
			a.heartbeat, a.hasHeartbeat = number(raw)
		}
		return err
	}
	if c != '{' {
		a.hbDone = true
		return s.skip(depth)
	}
	if depth+1 > maxDepth {
		return s.syntax("nested too deep")
	}
	s.next()
	for first := true; ; first = false {
		c, ok := s.space()
		switch {
		case !ok:
			return s.short()
		case c == '}':
			s.next()
			a.hbDone = true
			return nil
		case !first && c != ',':
			return s.syntax("after an object member")
		case !first:
			s.next()
		}
		if err := s.key(); err != nil {
			return err
		}
		var err error
		if !a.hbDone && s.keyIs(rest[0]) {
			if _, ok := s.space(); !ok {
				return s.short()
			}
			err = s.field(a, rest[1:], depth+1)
		} else {
			err = s.skip(depth + 1)
		}
		if err != nil || a.done() {
			return err
		}
	}
}

// text turns a captured raw value into the text shown for it: a string
// unquoted, any other value verbatim (so {"status": false} is not ok).
// A capture cut at maxText is shown as far as it goes.
func text(raw []byte) string {
	if len(raw) < 2 || raw[0] != '"' || len(raw) >= maxText {
		return string(raw)
	}
	if inner := decodeKey(raw, nil); inner != nil {
		return string(inner)
	}
	return string(raw)
}
