package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"
)

// Defaults of RecordOptions.
const (
	DefaultPartialWait = 100 * time.Millisecond
	// DefaultMaxLine: a longer line becomes several records. 32 KiB, so
	// that a record of the worst bytes (each escaped as \u0001: six times
	// longer) still fits the writer's 256 KiB and is never dropped whole.
	DefaultMaxLine = 32 << 10
)

// TimeLayout is how records write "ts": zap's ISO8601 time encoder, which
// hsup's JSON log uses.
const TimeLayout = "2006-01-02T15:04:05.000Z0700"

// RecordOptions configure Records; zero fields take the defaults.
type RecordOptions struct {
	// Wait is how long a line without a newline waits for the rest before
	// it is written as a partial record (default 100 ms).
	Wait time.Duration
	// Max bounds a record's line (default 32 KiB): a longer line is
	// written in pieces, each a partial record.
	Max int
	// KeepJSON writes a complete line that is already one JSON object
	// (valid UTF-8) as it is, instead of wrapping it.
	KeepJSON bool
	// Text writes each line as text, not JSON: the time, the stream and
	// the line's bytes as they are (hsup's --output-file):
	//
	//	2026-05-01T10:00:00.000Z stdout: ready
	//	2026-05-01T10:00:00.100Z stderr+ loading model: 10%..
	//
	// "+" in place of ":" marks a piece of a line written before its end
	// (partial); the next record of that stream continues it.
	Text bool
}

// Records is an io.Writer that writes a stream (a child's stdout or
// stderr) to its destination as JSON records, one per line, each in one
// Write: see the package documentation. It is safe for concurrent use.
type Records struct {
	dst    io.Writer
	stream string
	opts   RecordOptions

	mu      sync.Mutex
	partial []byte      // the line begun and not ended
	gen     int         // counts the partial lines begun, for the timer
	timer   *time.Timer // flushes the partial line; nil when none waits
	closed  bool
	rec     []byte // the record being written, reused
}

// NewRecords returns Records writing stream's lines to dst.
func NewRecords(dst io.Writer, stream string, opts RecordOptions) *Records {
	if opts.Wait <= 0 {
		opts.Wait = DefaultPartialWait
	}
	if opts.Max <= 0 {
		opts.Max = DefaultMaxLine
	}
	return &Records{dst: dst, stream: stream, opts: opts}
}

// Write writes a record for each line p completes; what is left waits
// for the rest of its line, Wait at most. It reports len(p) written and
// the error of the destination, if any.
func (r *Records) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.partial = append(r.partial, p...)
	var err error
	done := 0 // bytes of partial written
	for {
		line, n, partial := r.next(r.partial[done:])
		if n == 0 {
			break
		}
		if e := r.emit(line, partial); err == nil {
			err = e
		}
		done += n
	}
	r.partial = r.partial[:copy(r.partial, r.partial[done:])]
	if done > 0 && r.timer != nil {
		// The line the timer waits for was written: what is left is a new
		// line, with a wait of its own.
		r.timer.Stop()
		r.timer = nil
		r.gen++
	}
	r.arm()
	return len(p), err
}

// next is the line of the next record in b, how many bytes of b it takes
// (0: no record is ready) and whether it is partial (a piece of a line
// longer than Max).
func (r *Records) next(b []byte) (line []byte, n int, partial bool) {
	if i := bytes.IndexByte(b[:min(len(b), r.opts.Max+1)], '\n'); i >= 0 {
		return b[:i], i + 1, false
	}
	if len(b) >= r.opts.Max {
		cut := runeCut(b, r.opts.Max)
		return b[:cut], cut, true
	}
	return nil, 0, false
}

// Flush writes the line waiting for its end, if any, as a partial record.
func (r *Records) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flush()
}

// Close flushes the waiting line; later writes are written at once, with
// no wait for the rest of a line.
func (r *Records) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return r.flush()
}

// arm starts the timer of a partial line that has none, stops that of a
// line that ended; called with mu held.
func (r *Records) arm() {
	switch {
	case len(r.partial) == 0 && r.timer != nil:
		r.timer.Stop()
		r.timer = nil
		r.gen++
	case len(r.partial) > 0 && r.closed:
		_ = r.flush()
	case len(r.partial) > 0 && r.timer == nil:
		gen := r.gen
		r.timer = time.AfterFunc(r.opts.Wait, func() { r.expire(gen) })
	}
}

// expire writes partial line gen if it still waits.
func (r *Records) expire(gen int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen == gen {
		_ = r.flush()
	}
}

// flush writes the partial line and forgets its timer; called with mu held.
func (r *Records) flush() error {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.gen++
	if len(r.partial) == 0 {
		return nil
	}
	err := r.emit(r.partial, true)
	r.partial = r.partial[:0]
	return err
}

func (r *Records) emit(line []byte, partial bool) error {
	if !partial && r.opts.KeepJSON && isObject(line) {
		_, err := r.dst.Write(append(line[:len(line):len(line)], '\n'))
		return err
	}
	if r.opts.Text {
		r.rec = appendText(r.rec[:0], r.stream, line, partial, time.Now())
	} else {
		r.rec = appendRecord(r.rec[:0], r.stream, line, partial, time.Now())
	}
	_, err := r.dst.Write(r.rec)
	return err
}

// appendRecord appends the record of line to b, newline included. It
// writes what encoding/json would, without its reflection (a child's
// flood is wrapped at hundreds of MB/s): invalid UTF-8 becomes U+FFFD,
// <, > and & stay as they are.
func appendRecord(b []byte, stream string, line []byte, partial bool, now time.Time) []byte {
	b = append(b, `{"level":"info","ts":"`...)
	b = now.AppendFormat(b, TimeLayout)
	b = append(b, `","msg":"child output","stream":`...)
	b = appendString(b, []byte(stream))
	b = append(b, `,"line":`...)
	b = appendString(b, line)
	if partial {
		b = append(b, `,"partial":true`...)
	}
	return append(b, "}\n"...)
}

// appendText appends the text record of line to b (RecordOptions.Text),
// newline included.
func appendText(b []byte, stream string, line []byte, partial bool, now time.Time) []byte {
	b = now.AppendFormat(b, TimeLayout)
	b = append(b, ' ')
	b = append(b, stream...)
	if partial {
		b = append(b, "+ "...)
	} else {
		b = append(b, ": "...)
	}
	b = append(b, line...)
	return append(b, '\n')
}

// plain are the bytes a JSON string holds as they are: printable ASCII
// but the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s to b as a JSON string.
func appendString(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			rn, size := utf8.DecodeRune(s[i:])
			if rn != utf8.RuneError || size != 1 {
				i += size
				continue
			}
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < utf8.RuneSelf {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				b = append(b, `\ufffd`...)
			}
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// encode is v as one line of JSON, newline included, with <, > and & as
// they are.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// isObject reports whether line is one JSON object in valid UTF-8.
func isObject(line []byte) bool {
	t := bytes.TrimSpace(line)
	return len(t) > 1 && t[0] == '{' && t[len(t)-1] == '}' && utf8.Valid(t) && json.Valid(t)
}

// runeCut is where to cut b at most max bytes in without splitting a
// UTF-8 sequence (max itself when b is not UTF-8 there).
func runeCut(b []byte, max int) int {
	if max >= len(b) {
		return len(b)
	}
	for cut := max; cut > max-utf8.UTFMax && cut > 0; cut-- {
		if utf8.RuneStart(b[cut]) {
			return cut
		}
	}
	return max
}

// TextNotice is a Notice for a plain stream: one line saying that n bytes
// of what stream carries were dropped there.
func TextNotice(stream string) func(n int64) []byte {
	return func(n int64) []byte {
		return fmt.Appendf(nil, "hsup: dropped %d bytes of %s here: its reader did not keep up\n", n, stream)
	}
}

// JSONNotice is a Notice for a stream of JSON records: one warn record
// {"msg":"output dropped","stream":...,"bytes":n}.
func JSONNotice(stream string) func(n int64) []byte {
	return func(n int64) []byte {
		b, _ := encode(struct {
			Level  string `json:"level"`
			TS     string `json:"ts"`
			Msg    string `json:"msg"`
			Stream string `json:"stream"`
			Bytes  int64  `json:"bytes"`
		}{"warn", time.Now().Format(TimeLayout), "output dropped: its reader did not keep up", stream, n})
		return b
	}
}
