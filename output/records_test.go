package output

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// sink keeps each Write separately: one record per Write is the contract.
type sink struct {
	mu     sync.Mutex
	writes []string
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func (s *sink) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes...)
}

// records parses every write as one JSON line.
func (s *sink) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, w := range s.all() {
		if strings.Count(w, "\n") != 1 || !strings.HasSuffix(w, "\n") {
			t.Fatalf("write %q is not exactly one line", w)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(w), &m); err != nil {
			t.Fatalf("write %q is not JSON: %v", w, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRecords(t *testing.T) {
	type rec struct {
		line    string
		partial bool
	}
	cases := []struct {
		name   string
		writes []string
		max    int
		want   []rec
	}{
		{name: "lines", writes: []string{"one\ntwo\n"}, want: []rec{{"one", false}, {"two", false}}},
		{name: "line in pieces", writes: []string{"lo", "ading", " done\n"}, want: []rec{{"loading done", false}}},
		{name: "invalid utf-8 replaced", writes: []string{"bad \xff\xfe byte\n"}, want: []rec{{"bad \ufffd\ufffd byte", false}}},
		{name: "html and quotes kept", writes: []string{`<a href="x">&</a>` + "\n"}, want: []rec{{`<a href="x">&</a>`, false}}},
		{name: "empty line", writes: []string{"\n"}, want: []rec{{"", false}}},
		{name: "long line cut on a rune", writes: []string{strings.Repeat("a", 9) + "é" + "b\n"}, max: 10,
			want: []rec{{strings.Repeat("a", 9), true}, {"éb", false}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s sink
			r := NewRecords(&s, "stderr", RecordOptions{Max: c.max})
			for _, w := range c.writes {
				if n, err := r.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			got := s.records(t)
			if len(got) != len(c.want) {
				t.Fatalf("got %d records %v, want %d", len(got), s.all(), len(c.want))
			}
			for i, m := range got {
				p, _ := m["partial"].(bool)
				if m["line"] != c.want[i].line || p != c.want[i].partial || m["msg"] != "child output" ||
					m["stream"] != "stderr" || m["level"] != "info" {
					t.Errorf("record %d = %v, want line %q partial %v", i, m, c.want[i].line, c.want[i].partial)
				}
				if _, err := time.Parse(TimeLayout, m["ts"].(string)); err != nil {
					t.Errorf("ts: %v", err)
				}
			}
			_ = r.Close()
		})
	}
}

// A line without its newline is written as a partial record once it has
// waited Wait, not before; a line that ends in time is written whole.
func TestRecordsPartialLineAfterWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s sink
		r := NewRecords(&s, "stdout", RecordOptions{Wait: 100 * time.Millisecond})
		r.Write([]byte("loading model: 10%.."))
		time.Sleep(60 * time.Millisecond)
		r.Write([]byte(".")) // more of the same line: it still waits since its start
		time.Sleep(39 * time.Millisecond)
		synctest.Wait()
		if got := s.all(); len(got) != 0 {
			t.Fatalf("after 99ms: %q, want nothing yet", got)
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		got := s.records(t)
		if len(got) != 1 || got[0]["line"] != "loading model: 10%..." || got[0]["partial"] != true || got[0]["stream"] != "stdout" {
			t.Fatalf("after 101ms: %v, want one partial record of the line", s.all())
		}

		r.Write([]byte("50%"))
		time.Sleep(50 * time.Millisecond)
		r.Write([]byte(" 100%\n"))
		time.Sleep(time.Second) // no timer left to fire
		synctest.Wait()
		got = s.records(t)
		if len(got) != 2 || got[1]["line"] != "50% 100%" || got[1]["partial"] != nil {
			t.Fatalf("got %v, want the second line whole", s.all())
		}
	})
}

func TestRecordsCloseFlushesPartial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s sink
		r := NewRecords(&s, "stderr", RecordOptions{})
		r.Write([]byte("no newline"))
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		r.Write([]byte("after close"))
		time.Sleep(time.Second)
		synctest.Wait()
		got := s.records(t)
		if len(got) != 2 || got[0]["line"] != "no newline" || got[1]["line"] != "after close" {
			t.Fatalf("got %v", s.all())
		}
	})
}

func TestRecordsKeepJSON(t *testing.T) {
	var s sink
	r := NewRecords(&s, "stderr", RecordOptions{KeepJSON: true})
	obj := `{"level":"info","msg":"helper ready","pid":7}`
	r.Write([]byte(obj + "\n" + `{"not":"closed"` + "\n" + "{\"bad\":\"\xff\"}\n" + "[1,2]\n"))
	got := s.all()
	if len(got) != 4 || got[0] != obj+"\n" {
		t.Fatalf("got %q, want the object kept as it is, then three records", got)
	}
	for i, m := range s.records(t)[1:] {
		if m["msg"] != "child output" {
			t.Errorf("record %d = %v, want it wrapped", i+1, m)
		}
	}
}

func TestJSONNotice(t *testing.T) {
	b := JSONNotice("stderr")(42)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || !bytes.HasSuffix(b, []byte("\n")) || bytes.Count(b, []byte("\n")) != 1 {
		t.Fatalf("notice %q: %v", b, err)
	}
	if m["level"] != "warn" || m["stream"] != "stderr" || m["bytes"] != 42.0 {
		t.Errorf("notice = %v", m)
	}
}

// The hand-written record decodes to what encoding/json makes of the
// same line: the same string, invalid UTF-8 replaced the same way.
func FuzzAppendRecord(f *testing.F) {
	for _, s := range []string{"", "plain", "tab\there", `"quoted" \ back`, "\x00\x1f\x7f", "bad \xff\xfe", "é\u2028ü", "<&>", "\xed\xa0\x80"} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, line []byte, partial bool) {
		now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		b := appendRecord(nil, "stderr", line, partial, now)
		if bytes.Count(b, []byte("\n")) != 1 || b[len(b)-1] != '\n' {
			t.Fatalf("record %q is not one line", b)
		}
		var got record
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("record %q: %v", b, err)
		}
		want, _ := json.Marshal(string(line))
		var wantLine string
		_ = json.Unmarshal(want, &wantLine)
		if got.Line != wantLine || got.Partial != partial || got.Msg != "child output" || got.Stream != "stderr" ||
			got.Level != "info" || got.TS != "2026-05-01T10:00:00.000Z" {
			t.Fatalf("record %q decodes to %+v, want line %q partial %v", b, got, wantLine, partial)
		}
	})
}

// record is what a record decodes to.
type record struct {
	Level, TS, Msg, Stream, Line string
	Partial                      bool
}

func BenchmarkRecords(b *testing.B) {
	line := append(bytes.Repeat([]byte("flood "), 682), '\n')
	r := NewRecords(io.Discard, "stdout", RecordOptions{})
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		r.Write(line)
	}
}

// Text records carry the time, the stream and the line's bytes as they
// are; a piece written before its line ended says "+" where a whole line
// says ":".
func TestRecordsText(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s sink
		r := NewRecords(&s, "stderr", RecordOptions{Text: true})
		r.Write([]byte("loading model: 10%.."))
		time.Sleep(150 * time.Millisecond) // past the default wait: a partial record
		synctest.Wait()
		r.Write([]byte(" 100%\n{\"json\":\"kept as text\"}\nbad \xff byte\n"))
		got := s.all()
		ts := time.Now().Format(TimeLayout)
		want := []string{
			time.Now().Add(-50*time.Millisecond).Format(TimeLayout) + " stderr+ loading model: 10%..\n",
			ts + " stderr:  100%\n",
			ts + ` stderr: {"json":"kept as text"}` + "\n",
			ts + " stderr: bad \xff byte\n",
		}
		if len(got) != len(want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("record %d = %q, want %q", i, got[i], want[i])
			}
		}
	})
}

// A line that ends while its timer runs takes the timer with it: the next
// line waits its own full Wait, not what was left of the last one's.
func TestRecordsNewLineWaitsItsOwnWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s sink
		r := NewRecords(&s, "stdout", RecordOptions{Wait: 100 * time.Millisecond})
		r.Write([]byte("ab"))
		time.Sleep(90 * time.Millisecond)
		r.Write([]byte("c\nxy"))
		time.Sleep(20 * time.Millisecond) // past the first line's wait, not the second's
		synctest.Wait()
		if got := s.all(); len(got) != 1 || !strings.Contains(got[0], `"line":"abc"`) {
			t.Fatalf("at 110ms: %q, want only the whole line abc", got)
		}
		r.Write([]byte("z\n"))
		time.Sleep(time.Second)
		synctest.Wait()
		if got := s.records(t); len(got) != 2 || got[1]["line"] != "xyz" || got[1]["partial"] != nil {
			t.Fatalf("got %v, want xyz whole", s.all())
		}
	})
}
