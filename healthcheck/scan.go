package healthcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// scanner reads JSON from a body a byte at a time through a fixed buffer,
// validating as encoding/json would (without checking UTF-8, which
// encoding/json replaces rather than rejects) and keeping only small,
// bounded captures: its memory is the same for any body.
type scanner struct {
	r     io.Reader
	left  int64 // bytes the read bound still allows
	err   error // sticky: why no more bytes come (io.EOF, errCut, errTruncated or the reader's error)
	base  int64 // body offset of buf[0]
	i, n  int   // buf[i:n] is unread
	buf   [8 << 10]byte
	stack []byte // closing brackets of the containers skip is inside

	recording bool   // get appends what it reads to rec, up to maxText bytes
	rec       []byte // the captured value, in recBuf
	keyVal    []byte // the last key, decoded; nil when longer than maxKey
	recBuf    [maxText]byte
	keyBuf    [maxKey + 2]byte
	numBuf    [maxNum]byte
}

// scanners holds idle scanners: their buffers are reused, not reallocated
// and cleared, probe after probe.
var scanners = sync.Pool{New: func() any { return new(scanner) }}

// newScanner returns a scanner reading at most limit bytes of r. Call
// free when done with it.
func newScanner(r io.Reader, limit int64) *scanner {
	s := scanners.Get().(*scanner)
	s.r, s.left, s.err, s.base, s.i, s.n = r, limit, nil, 0, 0, 0
	s.recording, s.rec, s.keyVal = false, nil, nil
	return s
}

// free returns s to the pool, keeping nothing of the body it read.
func (s *scanner) free() {
	s.r, s.err, s.rec, s.keyVal = nil, nil, nil, nil
	if cap(s.stack) > maxDepth {
		s.stack = nil
	}
	scanners.Put(s)
}

func (s *scanner) fill() bool {
	for tries := 0; s.err == nil; tries++ {
		if s.left <= 0 {
			s.err = errCut
			break
		}
		s.base += int64(s.n)
		s.i, s.n = 0, 0
		n, err := s.r.Read(s.buf[:min(int64(len(s.buf)), s.left)])
		s.n, s.left = n, s.left-int64(n)
		switch {
		case err == nil, err == io.EOF:
			s.err = err
		case errors.Is(err, io.ErrUnexpectedEOF):
			s.err = errTruncated // Content-Length or chunking promised more
		default:
			s.err = err
		}
		if n > 0 {
			return true
		}
		if tries >= 100 {
			s.err = io.ErrNoProgress
		}
	}
	return false
}

// peek returns the next byte without reading it; false when none comes.
func (s *scanner) peek() (byte, bool) {
	if s.i == s.n && !s.fill() {
		return 0, false
	}
	return s.buf[s.i], true
}

// get reads the next byte; false when none comes.
func (s *scanner) get() (byte, bool) {
	if s.i == s.n && !s.fill() {
		return 0, false
	}
	c := s.buf[s.i]
	s.i++
	if s.recording && len(s.rec) < maxText {
		s.rec = append(s.rec, c)
	}
	return c, true
}

func (s *scanner) next() { s.get() }

// space skips white space and peeks at the byte after it.
func (s *scanner) space() (byte, bool) {
	for {
		c, ok := s.peek()
		if !ok || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			return c, ok
		}
		s.next()
	}
}

// short is the fault when a needed byte did not come.
func (s *scanner) short() error {
	if s.err == io.EOF || s.err == nil {
		return errTruncated
	}
	return s.err
}

func (s *scanner) syntax(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errSyntax, what, s.base+int64(s.i))
}

// key reads an object key and the colon after it.
func (s *scanner) key() error {
	c, ok := s.space()
	if !ok {
		return s.short()
	}
	if c != '"' {
		return s.syntax("expected a key")
	}
	raw, err := s.str(true)
	if err != nil {
		return err
	}
	s.keyVal = decodeKey(raw, s.keyBuf[:0])
	if c, ok = s.space(); !ok {
		return s.short()
	}
	if c != ':' {
		return s.syntax("expected ':' after a key")
	}
	s.next()
	return nil
}

// decodeKey returns the string a raw quoted JSON string stands for: raw
// without its quotes when it is plain ASCII, encoding/json's decoding
// (appended to dst) otherwise. It is nil for a string that decodes to
// more than maxKey bytes or does not decode.
func decodeKey(raw, dst []byte) []byte {
	if raw == nil {
		return nil
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' || c >= 0x80 {
			var k string
			if !unquote(raw, &k) || len(k) > maxKey {
				return nil
			}
			return append(dst[:0], k...)
		}
	}
	return inner
}

func unquote(raw []byte, dst *string) bool { return json.Unmarshal(raw, dst) == nil }

// keyIs reports whether the last key read is name.
func (s *scanner) keyIs(name string) bool { return s.keyVal != nil && string(s.keyVal) == name }

// str reads a string whose opening quote is next. With keep it returns the
// raw string, quotes included, in keyBuf, or nil when longer than maxKey.
func (s *scanner) str(keep bool) ([]byte, error) {
	raw := s.keyBuf[:0]
	put := func(c byte) {
		if keep && raw != nil {
			if len(raw) == cap(raw) {
				raw = nil
				return
			}
			raw = append(raw, c)
		}
	}
	c, _ := s.get()
	put(c)
	for {
		if !keep && !s.recording {
			s.plain()
		}
		c, ok := s.get()
		if !ok {
			return nil, s.short()
		}
		put(c)
		switch {
		case c == '"':
			return raw, nil
		case c < 0x20:
			return nil, s.syntax("control character in a string")
		case c == '\\':
			e, ok := s.get()
			if !ok {
				return nil, s.short()
			}
			put(e)
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for range 4 {
					h, ok := s.get()
					if !ok {
						return nil, s.short()
					}
					put(h)
					if !isHex(h) {
						return nil, s.syntax("invalid \\u escape")
					}
				}
			default:
				return nil, s.syntax("invalid escape")
			}
		}
	}
}

// plain skips string bytes that need no attention, a buffer at a time.
func (s *scanner) plain() {
	for {
		for s.i < s.n {
			c := s.buf[s.i]
			if c == '"' || c == '\\' || c < 0x20 {
				return
			}
			s.i++
		}
		if !s.fill() {
			return
		}
	}
}

// number reads a number whose first byte ('-' or a digit) is next. With
// keep it returns the number's text, over when longer than maxNum.
func (s *scanner) number(keep bool) (raw []byte, over bool, err error) {
	raw = s.numBuf[:0]
	put := func(c byte) {
		if !keep {
			return
		}
		if len(raw) == cap(raw) {
			over = true
			return
		}
		raw = append(raw, c)
	}
	digits := func(atLeastOne bool) error {
		for n := 0; ; n++ {
			c, ok := s.peek()
			if !ok || !isDigit(c) {
				if atLeastOne && n == 0 {
					if !ok {
						return s.short()
					}
					return s.syntax("expected a digit")
				}
				return nil
			}
			s.next()
			put(c)
		}
	}
	c, _ := s.get()
	put(c)
	if c == '-' {
		if c, _ = s.peek(); c != '0' {
			if err := digits(true); err != nil {
				return nil, false, err
			}
		} else {
			s.next()
			put(c)
		}
	} else if c != '0' {
		_ = digits(false)
	}
	if c, ok := s.peek(); ok && c == '.' {
		s.next()
		put(c)
		if err := digits(true); err != nil {
			return nil, false, err
		}
	}
	if c, ok := s.peek(); ok && (c == 'e' || c == 'E') {
		s.next()
		put(c)
		if c, ok := s.peek(); ok && (c == '+' || c == '-') {
			s.next()
			put(c)
		}
		if err := digits(true); err != nil {
			return nil, false, err
		}
	}
	return raw, over, nil
}

// literal reads true, false or null, whichever is next.
func (s *scanner) literal() error {
	c, _ := s.peek()
	want := "null"
	switch c {
	case 't':
		want = "true"
	case 'f':
		want = "false"
	}
	for i := range len(want) {
		c, ok := s.get()
		if !ok {
			return s.short()
		}
		if c != want[i] {
			return s.syntax("invalid literal")
		}
	}
	return nil
}

// skip reads one value, whatever it is, that sits inside depth containers.
// It keeps only the brackets it is inside: nesting costs a byte a level,
// and more than maxDepth levels are a syntax error.
func (s *scanner) skip(depth int) error {
	stack := s.stack[:0]
	defer func() { s.stack = stack[:0] }()
	for {
		c, ok := s.space()
		if !ok {
			return s.short()
		}
		var err error
		switch {
		case c == '{' || c == '[':
			if depth+len(stack)+1 > maxDepth {
				return s.syntax("nested too deep")
			}
			s.next()
			end := byte('}')
			if c == '[' {
				end = ']'
			}
			stack = append(stack, end)
			if c, ok = s.space(); !ok {
				return s.short()
			}
			if c != end {
				if end == '}' {
					err = s.key()
				}
				if err != nil {
					return err
				}
				continue // the first member's value
			}
			s.next()
			stack = stack[:len(stack)-1]
		case c == '"':
			_, err = s.str(false)
		case c == '-' || isDigit(c):
			_, _, err = s.number(false)
		case c == 't' || c == 'f' || c == 'n':
			err = s.literal()
		default:
			return s.syntax(fmt.Sprintf("unexpected %q", c))
		}
		if err != nil {
			return err
		}
		more, err := s.after(&stack)
		if !more || err != nil {
			return err
		}
	}
}

// after reads what follows a value inside the containers on stack: closing
// brackets, then a comma (and the key, in an object) before the next
// value. more reports whether a value follows; false once stack is empty.
func (s *scanner) after(stack *[]byte) (more bool, err error) {
	for len(*stack) > 0 {
		c, ok := s.space()
		if !ok {
			return false, s.short()
		}
		end := (*stack)[len(*stack)-1]
		switch c {
		case end:
			s.next()
			*stack = (*stack)[:len(*stack)-1]
		case ',':
			s.next()
			if end == '}' {
				return true, s.key()
			}
			return true, nil
		default:
			return false, s.syntax("after a value")
		}
	}
	return false, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
