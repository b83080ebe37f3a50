package acceptq

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The macOS files are written from netstat's source, not recorded on a
// Mac: see testdata/README.md.
func TestParseNetstatRecorded(t *testing.T) {
	cases := []struct {
		file       string
		port       int
		want       Sample
		rows       int
		incomplete int // of the *.5000 row
	}{
		{file: "darwin/netstat-idle.txt", port: 8787, want: Sample{Queue: 0, Backlog: 128, Addr: "127.0.0.1:8787"}, rows: 6},
		{file: "darwin/netstat-stuck.txt", port: 8787, want: Sample{Queue: 65, Backlog: 64, Addr: "127.0.0.1:8787"}, rows: 5,
			incomplete: 1},
		{file: "darwin/netstat-idle.txt", port: 49152, want: Sample{Queue: 0, Backlog: 128, Addr: "[fe80::aede:48ff:fe00:1122%en5]:49152"}, rows: 6},
		{file: "darwin/netstat-stuck.txt", port: 5000, want: Sample{Queue: 3, Backlog: 4096, Addr: "*:5000"}, rows: 5, incomplete: 1},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			rows, err := parseNetstat(readTestdata(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != c.rows {
				t.Errorf("%d rows, want %d: %+v", len(rows), c.rows, rows)
			}
			for _, r := range rows {
				if r.Port == 5000 && r.Incomplete != c.incomplete {
					t.Errorf("incqlen %d, want %d", r.Incomplete, c.incomplete)
				}
			}
			got, ok := fullestRow(rows, c.port)
			if !ok || got.Queue != c.want.Queue || got.Backlog != c.want.Backlog || got.Addr != c.want.Addr || got.Members != nil {
				t.Errorf("fullestRow(%d) = %+v, %v; want %+v", c.port, got, ok, c.want)
			}
			if _, ok := fullestRow(rows, 1); ok {
				t.Error("a port nobody listens on was found")
			}
		})
	}
}

func TestParseNetstatShapes(t *testing.T) {
	good := []struct {
		name, out string
		want      []netstatRow
	}{
		{name: "empty output (nothing listens)", out: ""},
		{name: "FreeBSD's Proto column",
			out:  "Current listen queue sizes (qlen/incqlen/maxqlen)\nProto Listen         Local Address\ntcp4  192/0/128      *.80\ntcp6  0/0/128        ::1.22\n",
			want: []netstatRow{{Addr: "*:80", Port: 80, Queue: 192, Max: 128}, {Addr: "[::1]:22", Port: 22, Max: 128}}},
		{name: "a socket with no port yet is left out", out: "Listen Local Address\n0/0/5          *.*\n"},
		{name: "both table-change notices",
			out:  "0/0/1 127.0.0.1.9335\nSome tcp sockets may have been created.\nSome tcp sockets may have been deleted.\n",
			want: []netstatRow{{Addr: "127.0.0.1:9335", Port: 9335, Max: 1}}},
	}
	for _, c := range good {
		t.Run(c.name, func(t *testing.T) {
			rows, err := parseNetstat([]byte(c.out))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(c.want) {
				t.Fatalf("rows %+v, want %+v", rows, c.want)
			}
			for i := range rows {
				if rows[i] != c.want[i] {
					t.Errorf("row %d = %+v, want %+v", i, rows[i], c.want[i])
				}
			}
		})
	}
	bad := []struct{ name, out, says string }{
		{name: "names instead of numbers (no -n)", out: "0/0/128        localhost.ipp\n", says: "no port number"},
		{name: "not three figures", out: "0/128        *.80\n", says: "not qlen/incqlen/maxqlen"},
		{name: "a negative figure", out: "-1/0/128        *.80\n", says: "not qlen/incqlen/maxqlen"},
		{name: "the connection table (no -L)", out: "tcp4       0      0  127.0.0.1.8787         127.0.0.1.52311        ESTABLISHED\n",
			says: "got 6 fields"},
		{name: "an address without a port", out: "0/0/128 localhost\n", says: "not ADDRESS.PORT"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseNetstat([]byte(c.out))
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Errorf("err = %v, want one saying %q", err, c.says)
			}
		})
	}
}

func FuzzParseNetstat(f *testing.F) {
	f.Add([]byte("Current listen queue sizes (qlen/incqlen/maxqlen)\nListen         Local Address\n0/0/128        *.8787\n"))
	f.Add([]byte("tcp4  192/0/128      *.80\n"))
	f.Add([]byte("1/2/3 ::1.65535\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := parseNetstat(b)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Port < 1 || r.Port > 65535 || r.Queue < 0 || r.Incomplete < 0 || r.Max < 0 || r.Addr == "" {
				t.Errorf("row %+v from %q", r, b)
			}
		}
	})
}
