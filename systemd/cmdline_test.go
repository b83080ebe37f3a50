package systemd

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// This file is systemd's side of the ExecStart= round trip, for tests: a
// parser that splits a command line the way systemd does, so a test can
// prove that a unit runs exactly the argv it was given without a systemd
// at hand. The product only ever quotes (QuoteCommandLine).

// splitCommandLine undoes QuoteCommandLine: it splits an ExecStart= value
// the way systemd does (whitespace, "..." and '...' quoting, C escapes,
// \; for a literal semicolon), then turns %% into % and $$ into $. Other
// specifiers, $VAR substitution and multiple commands are errors, because
// their value depends on the running system.
func splitCommandLine(s string) ([]string, error) {
	var argv []string
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return argv, nil
		}
		if s[0] == ';' && (len(s) == 1 || strings.IndexByte(" \t\n\r", s[1]) >= 0) {
			return nil, fmt.Errorf("command line has a lone ';': more than one command is not supported")
		}
		// Only a whole word \; is a literal semicolon (systemd.service(5)).
		if strings.HasPrefix(s, `\;`) && (len(s) == 2 || strings.IndexByte(" \t\n\r", s[2]) >= 0) {
			argv = append(argv, ";")
			s = s[2:]
			continue
		}
		word, rest, err := splitWord(s)
		if err != nil {
			return nil, err
		}
		if word, err = unescapeUnitWord(word); err != nil {
			return nil, err
		}
		argv = append(argv, word)
		s = rest
	}
}

// splitWord takes one word off s, removing quotes and C escapes.
func splitWord(s string) (word, rest string, err error) {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			n, err := cUnescape(&b, s[i+1:])
			if err != nil {
				return "", "", err
			}
			i += n
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			b.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
		case strings.IndexByte(" \t\n\r", c) >= 0:
			return b.String(), s[i:], nil
		default:
			b.WriteByte(c)
		}
	}
	if quote != 0 {
		return "", "", fmt.Errorf("command line has an unterminated %c quote", quote)
	}
	return b.String(), "", nil
}

// cUnescape writes the character escaped by the text after a backslash and
// returns how many bytes of s it used.
func cUnescape(b *strings.Builder, s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("command line ends in a lone backslash")
	}
	simple := map[byte]byte{'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t',
		'v': '\v', '\\': '\\', '"': '"', '\'': '\'', 's': ' '}
	if c, ok := simple[s[0]]; ok {
		b.WriteByte(c)
		return 1, nil
	}
	base, digits := 0, 0
	switch {
	case s[0] == 'x':
		base, digits = 16, 2
	case s[0] == 'u':
		base, digits = 16, 4
	case s[0] == 'U':
		base, digits = 16, 8
	case s[0] >= '0' && s[0] <= '7':
		base, digits = 8, 3
	default:
		return 0, fmt.Errorf("command line has an unknown escape \\%c", s[0])
	}
	start := 1
	if base == 8 {
		start = 0
	}
	if len(s) < start+digits {
		return 0, fmt.Errorf("command line has a short escape \\%s", s)
	}
	var v uint64
	if _, err := fmt.Sscanf(s[start:start+digits], map[int]string{8: "%o", 16: "%x"}[base], &v); err != nil || v == 0 {
		return 0, fmt.Errorf("command line has a bad escape \\%s", s[:start+digits])
	}
	if s[0] == 'x' || base == 8 {
		b.WriteByte(byte(v))
	} else {
		b.WriteRune(rune(v))
	}
	return start + digits, nil
}

// unescapeUnitWord resolves %% and $$; anything else after % or $ depends
// on the system the unit runs on, so it is refused.
func unescapeUnitWord(w string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c != '%' && c != '$' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(w) && w[i+1] == c {
			b.WriteByte(c)
			i++
			continue
		}
		return "", fmt.Errorf("word %q: %c not doubled; specifiers and variables are not supported", w, c)
	}
	return b.String(), nil
}

func TestSplitCommandLine(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "plain words", in: " /bin/a  b\tc ", want: []string{"/bin/a", "b", "c"}},
		{name: "single quotes", in: `/bin/a 'x "y"'`, want: []string{"/bin/a", `x "y"`}},
		{name: "escapes", in: `/bin/a "\x41\101\u00e9\s\\"`, want: []string{"/bin/a", "AAé \\"}},
		{name: "doubled specials", in: `/bin/a 100%% $$HOME`, want: []string{"/bin/a", "100%", "$HOME"}},
		{name: "escaped semicolon", in: `/bin/a \; b`, want: []string{"/bin/a", ";", "b"}},
		{name: "empty word", in: `/bin/a ""`, want: []string{"/bin/a", ""}},
		{name: "lone semicolon", in: `/bin/a ; /bin/b`, wantErr: "lone ';'"},
		{name: "specifier", in: `/bin/a %h`, wantErr: "not doubled"},
		{name: "variable", in: `/bin/a $HOME`, wantErr: "not doubled"},
		{name: "unterminated", in: `/bin/a "b`, wantErr: "unterminated"},
		{name: "trailing backslash", in: `/bin/a b\`, wantErr: "lone backslash"},
		{name: "NUL escape", in: `/bin/a \x00`, wantErr: "bad escape"},
		{name: "unknown escape", in: `/bin/a \q`, wantErr: "unknown escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitCommandLine(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
