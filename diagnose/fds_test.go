package diagnose

import (
	"reflect"
	"testing"
)

// A Linux listing (lsof 4.95) with a name holding spaces, a wide FD
// column, blank DEVICE cells, mappings that are not descriptors.
const lsofLinux = `COMMAND     PID USER   FD      TYPE DEVICE SIZE/OFF    NODE NAME
python3   25683 root  cwd       DIR  254,0     4096 5308497 /srv/app
python3   25683 root  txt       REG  254,0  8233225 9985921 /usr/bin/python3.11
python3   25683 root  mem       REG  254,0  1926232  326269 /usr/lib/x86_64-linux-gnu/libc.so.6
python3   25683 root    0r     FIFO   0,15      0t0   56887 pipe
python3   25683 root    1u     unix 0x0000000000000000      0t0   1234 type=STREAM
python3   25683 root    3u      REG  254,0    28672 9978001 /srv/app/my state.db
python3   25683 root    4u      REG  254,0    28672 9978001 /srv/app/my state.db
python3   25683 root    5uW     REG  254,0    32768 9978002 /srv/app/my state.db-wal
python3   25683 root    6u  a_inode   0,16        0    1038 [eventpoll:7]
python3   25683 root    7u     IPv4 123456      0t0     TCP 127.0.0.1:8787 (LISTEN)
python3   25683 root    8u     sock    0,8      0t0  555555 protocol: TCP
python3   25683 root  251w     FIFO   0,15      0t0   56351 pipe
`

// A macOS listing (lsof 4.91) as launchd's WebUI would show it.
const lsofDarwin = `COMMAND   PID  USER   FD     TYPE             DEVICE  SIZE/OFF                NODE NAME
Python  41234 me     cwd      DIR               1,18       640             1234567 /Users/me/hermes-webui
Python  41234 me     txt      REG               1,18     51744             2345678 /opt/homebrew/bin/python3
Python  41234 me       0r     CHR                3,2       0t0                 335 /dev/null
Python  41234 me       1w     REG               1,18     12345             3456789 /Users/me/Library/Logs/webui.log
Python  41234 me       5u    IPv4 0x1234567890abcdef       0t0                 TCP *:8787 (LISTEN)
Python  41234 me       6u     REG               1,18     28672             4567890 /Users/me/.hermes/state.db
Python  41234 me       7u     REG               1,18     28672             4567890 /Users/me/.hermes/state.db
Python  41234 me       8u    unix 0x0fedcba987654321       0t0                     ->0x1111111111111111
Python  41234 me       9     PIPE 0x2222222222222222     16384                     ->0x3333333333333333
Python  41234 me      10u  KQUEUE                                                  count=0, state=0x8
`

func TestParseLsof(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    []fdEntry
		wantErr bool
	}{
		{name: "linux", out: lsofLinux, want: []fdEntry{
			{0, "[pipe]"}, {1, "[socket]"}, {3, "/srv/app/my state.db"}, {4, "/srv/app/my state.db"},
			{5, "/srv/app/my state.db-wal"}, {6, "[a_inode]"}, {7, "[socket]"}, {8, "[socket]"}, {251, "[pipe]"},
		}},
		{name: "darwin", out: lsofDarwin, want: []fdEntry{
			{0, "/dev/null"}, {1, "/Users/me/Library/Logs/webui.log"}, {5, "[socket]"},
			{6, "/Users/me/.hermes/state.db"}, {7, "/Users/me/.hermes/state.db"}, {8, "[socket]"},
			{9, "[pipe]"}, {10, "[KQUEUE]"},
		}},
		{name: "heading only", out: "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\n"},
		{name: "no heading", out: "lsof: WARNING: can't stat() fuse file system\n", wantErr: true},
		{name: "empty", out: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLsof([]byte(tt.out))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseLsof() error = %v, wantErr %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseLsof() =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestProcTarget(t *testing.T) {
	tests := []struct {
		name, link, want string
	}{
		{name: "file", link: "/srv/app/state.db", want: "/srv/app/state.db"},
		{name: "deleted file", link: "/srv/app/state.db (deleted)", want: "/srv/app/state.db (deleted)"},
		{name: "path with colon-bracket", link: "/tmp/a:[b]", want: "/tmp/a:[b]"},
		{name: "socket", link: "socket:[123456]", want: "[socket]"},
		{name: "pipe", link: "pipe:[98765]", want: "[pipe]"},
		{name: "anon inode", link: "anon_inode:[eventpoll]", want: "anon_inode:[eventpoll]"},
		{name: "anon inode no brackets", link: "anon_inode:inotify", want: "anon_inode:inotify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := procTarget(tt.link); got != tt.want {
				t.Fatalf("procTarget(%q) = %q, want %q", tt.link, got, tt.want)
			}
		})
	}
}

func TestTopFiles(t *testing.T) {
	entries := func(targets ...string) []fdEntry {
		out := make([]fdEntry, len(targets))
		for i, tg := range targets {
			out[i] = fdEntry{FD: i, Target: tg}
		}
		return out
	}
	tests := []struct {
		name    string
		entries []fdEntry
		n       int
		want    []FileCount
	}{
		{name: "count desc then path", entries: entries("b", "a", "db", "db", "db", "[pipe]", "[pipe]"), n: 20,
			want: []FileCount{{"db", 3}, {"[pipe]", 2}, {"a", 1}, {"b", 1}}},
		{name: "truncated", entries: entries("x", "y", "y", "z"), n: 2, want: []FileCount{{"y", 2}, {"x", 1}}},
		{name: "none", entries: nil, n: 20, want: []FileCount{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := topFiles(tt.entries, tt.n); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("topFiles() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFormatFDs(t *testing.T) {
	got := string(formatFDs([]fdLink{{0, "/dev/null"}, {3, "socket:[1]"}}))
	if want := "0 -> /dev/null\n3 -> socket:[1]\n"; got != want {
		t.Fatalf("formatFDs() = %q, want %q", got, want)
	}
}
