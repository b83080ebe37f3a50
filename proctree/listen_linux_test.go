package proctree

import (
	"maps"
	"slices"
	"testing"

	"github.com/prometheus/procfs"
)

func TestListening(t *testing.T) {
	// St values from include/net/tcp_states.h: 0x01 ESTABLISHED, 0x0A LISTEN.
	lines := procfs.NetTCP{
		{LocalPort: 8787, St: 0x0A, Inode: 11},  // the listener
		{LocalPort: 8787, St: 0x0A, Inode: 12},  // another address, same port
		{LocalPort: 8787, St: 0x01, Inode: 13},  // an accepted connection
		{LocalPort: 8788, St: 0x0A, Inode: 14},  // another port
		{LocalPort: 8787, St: 0x0A, Inode: 0},   // no descriptor refers to it
		{LocalPort: 44000, St: 0x01, Inode: 15}, // a client of 8787
	}
	tests := []struct {
		name string
		port int
		want []uint64
	}{
		{name: "listeners on the port only", port: 8787, want: []uint64{11, 12}},
		{name: "other port", port: 8788, want: []uint64{14}},
		{name: "nobody listens", port: 44000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Sorted(maps.Keys(ListeningInodes(lines, tt.port)))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("ListeningInodes(%d) = %v, want %v", tt.port, got, tt.want)
			}
		})
	}
}

func TestSocketInode(t *testing.T) {
	tests := []struct {
		target string
		want   uint64
		ok     bool
	}{
		{target: "socket:[4242]", want: 4242, ok: true},
		{target: "pipe:[4242]"},
		{target: "socket:[]"},
		{target: "socket:[12"},
		{target: "socket:[x]"},
		{target: "/dev/null"},
		{target: "anon_inode:[eventfd]"},
		{target: ""},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			got, ok := SocketInode(tt.target)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("SocketInode(%q) = %d, %v; want %d, %v", tt.target, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSocketScan(t *testing.T) {
	type fds struct {
		pid     int
		targets []string
	}
	tests := []struct {
		name       string
		want       []uint64
		procs      []fds
		wantPids   []int
		wantUnseen bool
	}{
		{
			name: "forked workers share the listener, sorted",
			want: []uint64{10},
			procs: []fds{
				{pid: 70, targets: []string{"/dev/null", "socket:[10]"}},
				{pid: 5, targets: []string{"socket:[10]", "socket:[99]"}},
				{pid: 6, targets: []string{"pipe:[10]"}},
			},
			wantPids: []int{5, 70},
		},
		{
			name: "IPv4 and IPv6 sockets of one process: one pid",
			want: []uint64{10, 11},
			procs: []fds{
				{pid: 5, targets: []string{"socket:[10]", "socket:[11]"}},
			},
			wantPids: []int{5},
		},
		{
			name: "a process seen twice is listed once",
			want: []uint64{10},
			procs: []fds{
				{pid: 5, targets: []string{"socket:[10]"}},
				{pid: 5, targets: []string{"socket:[10]"}},
			},
			wantPids: []int{5},
		},
		{
			name: "a socket nobody visible holds is unseen",
			want: []uint64{10, 11},
			procs: []fds{
				{pid: 5, targets: []string{"socket:[10]"}},
			},
			wantPids:   []int{5},
			wantUnseen: true,
		},
		{
			name:       "only unseen holders",
			want:       []uint64{10},
			procs:      []fds{{pid: 5, targets: []string{"socket:[12]"}}},
			wantUnseen: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := make(map[uint64]bool)
			for _, ino := range tt.want {
				want[ino] = true
			}
			s := newSocketScan(want)
			for _, p := range tt.procs {
				s.add(p.pid, p.targets)
			}
			pids, unseen := s.result()
			if !slices.Equal(pids, tt.wantPids) || unseen != tt.wantUnseen {
				t.Fatalf("result() = %v, %v; want %v, %v", pids, unseen, tt.wantPids, tt.wantUnseen)
			}
		})
	}
}
