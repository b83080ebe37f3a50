package fdlimit

import (
	"bytes"
	"strconv"
	"testing"
)

// FuzzCountLsofFields lays out `lsof -F f` output for a set of descriptors
// among mapping rows and other fields, and wants exactly the descriptors
// counted; the raw bytes, parsed on their own, may count no more rows
// than they have lines.
func FuzzCountLsofFields(f *testing.F) {
	f.Add([]byte{0, 1, 2, 17}, "n/tmp/state.db", []byte("p42\nfcwd\nftxt\nfmem\nf0\nf1\nf2\nf17\n"))
	f.Add([]byte{}, "cpython", []byte(""))
	f.Add([]byte{3}, "", []byte("p1\nf3"))
	f.Add([]byte{255}, "ntype=STREAM", []byte("f\nf-1\nf+1\nf 1\nf١\n"))
	f.Fuzz(func(t *testing.T, fds []byte, other string, raw []byte) {
		if n := CountLsofFields(raw); n < 0 || n > bytes.Count(raw, []byte("\n"))+1 {
			t.Fatalf("CountLsofFields(%q) = %d, more rows than lines", raw, n)
		}
		if bytes.ContainsAny([]byte(other), "\n") || len(other) > 0 && other[0] == 'f' {
			t.Skip() // one field per line; "f..." is a descriptor field
		}
		var out bytes.Buffer
		out.WriteString("p42\nfcwd\nftxt\nfmem\nfDEL\n")
		for _, fd := range fds {
			out.WriteString("f" + strconv.Itoa(int(fd)) + "\n" + other + "\n")
		}
		if got := CountLsofFields(out.Bytes()); got != len(fds) {
			t.Fatalf("CountLsofFields(%q) = %d, want %d", out.Bytes(), got, len(fds))
		}
	})
}
