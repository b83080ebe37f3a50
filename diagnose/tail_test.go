package diagnose

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

func TestTailRing(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		writes []string
		want   string
	}{
		{name: "empty", size: 8, want: ""},
		{name: "under size", size: 8, writes: []string{"abc", "de"}, want: "abcde"},
		{name: "exactly full", size: 8, writes: []string{"abcd", "efgh"}, want: "abcdefgh"},
		{name: "wraps", size: 8, writes: []string{"abcdef", "ghij"}, want: "cdefghij"},
		{name: "wraps twice", size: 4, writes: []string{"abc", "def", "ghi", "j"}, want: "ghij"},
		{name: "one write larger than size", size: 4, writes: []string{"ab", "cdefghij"}, want: "ghij"},
		{name: "full then small", size: 4, writes: []string{"abcd", "e"}, want: "bcde"},
		{name: "empty writes", size: 4, writes: []string{"", "ab", "", "cdef"}, want: "cdef"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := NewTail(tt.size)
			for _, w := range tt.writes {
				if n, err := tl.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if got := string(tl.Bytes()); got != tt.want {
				t.Fatalf("Bytes() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTailConcurrent: whole writes never interleave, and the tail keeps
// exactly the last size bytes, here always whole 8-byte records.
func TestTailConcurrent(t *testing.T) {
	const writers, perWriter, size = 8, 500, 64 * 8
	tl := NewTail(size)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				fmt.Fprintf(tl, "w%d:%04d\n", w, i%10000)
			}
		})
	}
	wg.Add(1)
	go func() { // a reader racing the writers
		defer wg.Done()
		for range 100 {
			_ = tl.Bytes()
		}
	}()
	wg.Wait()
	got := tl.Bytes()
	if len(got) != size {
		t.Fatalf("len(Bytes()) = %d, want %d", len(got), size)
	}
	for rec := range bytes.SplitSeq(bytes.TrimSuffix(got, []byte("\n")), []byte("\n")) {
		var w, i int
		if n, err := fmt.Sscanf(string(rec), "w%d:%d", &w, &i); n != 2 || err != nil || len(rec) != 7 {
			t.Fatalf("torn record %q in %q", rec, got)
		}
	}
}

func TestTailMark(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		writes []string
		mark   string
		after  string
		want   string
	}{
		{name: "empty tail", size: 64, mark: "== m ==", want: "== m ==\n"},
		{name: "after a whole line", size: 64, writes: []string{"a\n"}, mark: "== m ==", want: "a\n== m ==\n"},
		{name: "after a partial line", size: 64, writes: []string{"a\nb"}, mark: "== m ==", want: "a\nb\n== m ==\n"},
		{name: "wrapped, newline last", size: 4, writes: []string{"abc\n"}, mark: "m", want: "c\nm\n"},
		{name: "wrapped, partial last", size: 4, writes: []string{"abcdefg"}, mark: "m", want: "g\nm\n"},
		{name: "output after the mark", size: 64, writes: []string{"a"}, mark: "m", after: "b\n", want: "a\nm\nb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := NewTail(tt.size)
			for _, w := range tt.writes {
				_, _ = tl.Write([]byte(w))
			}
			tl.Mark(tt.mark)
			_, _ = tl.Write([]byte(tt.after))
			if got := string(tl.Bytes()); got != tt.want {
				t.Fatalf("Bytes() = %q, want %q", got, tt.want)
			}
		})
	}
}

// The tail's storage grows with what the child printed, and whatever the
// sizes of the writes it keeps exactly the last size bytes.
func TestTailGrowsWithOutput(t *testing.T) {
	tl := NewTail(256 << 10)
	tl.Write(bytes.Repeat([]byte("x"), 100))
	if c := cap(tl.buf); c > 4<<10 {
		t.Errorf("after 100 bytes the tail holds %d bytes of storage, want at most 4 KiB", c)
	}
	for _, size := range []int{1, 7, 4096, 10000} {
		tl, all := NewTail(size), []byte{}
		for i := range 200 {
			w := bytes.Repeat([]byte{byte('a' + i%26)}, (i*7919)%(2*size+3))
			tl.Write(w)
			all = append(all, w...)
			want := all[max(len(all)-size, 0):]
			if got := tl.Bytes(); !bytes.Equal(got, want) || cap(tl.buf) > size {
				t.Fatalf("size %d, write %d: kept %d bytes (storage %d), want the last %d", size, i, len(got), cap(tl.buf), len(want))
			}
		}
	}
}
