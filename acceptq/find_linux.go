package acceptq

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/procfs"

	"github.com/hsup/hsup/proctree"
)

// tcpListen is the kernel's TCP_LISTEN state in /proc/net/tcp's st column.
const tcpListen = 0x0A

// find lists the LISTEN sockets on port (through sock_diag when the
// child shares hsup's network namespace, else from the child's
// /proc/PID/net/tcp{,6}), then reads the descriptors of the child and its
// descendants (proctree.Walk: the tree only) for the first process that
// holds one of them. The listening sockets that no process of the tree
// holds (another service's) are not the child's.
func find(ctx context.Context, pid, port int) (Listener, error) {
	want, socks, err := listenersOn(pid, port)
	if err != nil {
		return Listener{}, err
	}
	if len(want) == 0 {
		return Listener{}, ErrNotFound
	}
	pids := []int{pid}
	below, _ := proctree.Walk(pid) // a tree that cannot be read leaves the child itself
	for _, p := range below {
		pids = append(pids, p.Pid)
	}
	for _, p := range pids {
		if err := ctx.Err(); err != nil {
			return Listener{}, err
		}
		if held := holds(p, want); len(held) > 0 {
			l := Listener{Port: port, Pid: p, root: "/proc/" + strconv.Itoa(p), sockets: held}
			l.families, l.one = diagPlan(socks)
			return l, nil
		}
	}
	return Listener{}, ErrNotFound
}

// diagPlan is how a Listener reads its queue through sock_diag, given
// the listening sockets on its port (nil: sock_diag cannot be used): the
// address families to dump, and, when one socket alone listens on the
// port, its address, for a lookup of that one socket instead of a dump.
func diagPlan(socks []diagSock) ([]uint8, net.IP) {
	if socks == nil {
		return nil, nil
	}
	fams := []uint8{}
	for _, s := range socks {
		if f := diagFamily(s.addr); !slices.Contains(fams, f) {
			fams = append(fams, f)
		}
	}
	if len(socks) == 1 {
		return fams, socks[0].addr
	}
	return fams, nil
}

// listenersOn returns the inodes of the LISTEN sockets on port in pid's
// network namespace, each with its backlog (0: unknown), and, when
// sock_diag could be used, those sockets (nil: it cannot).
func listenersOn(pid, port int) (map[uint64]int, []diagSock, error) {
	want := map[uint64]int{}
	if sameNetns(pid) {
		if all, err := listeners(); err == nil {
			socks := []diagSock{}
			for _, s := range all {
				if s.port == port && s.inode != 0 {
					want[s.inode] = s.backlog
					socks = append(socks, s)
				}
			}
			return want, socks, nil
		}
	}
	lines, err := readTCP("/proc/" + strconv.Itoa(pid))
	if err != nil {
		return nil, nil, err
	}
	for ino := range proctree.ListeningInodes(lines, port) {
		want[ino] = 0
	}
	return want, nil, nil
}

// holds returns the wanted sockets among pid's descriptors. A process
// that ended, or whose descriptors are not ours to read, holds none.
func holds(pid int, want map[uint64]int) map[uint64]int {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return nil
	}
	targets, err := p.FileDescriptorTargets()
	if err != nil {
		return nil
	}
	held := map[uint64]int{}
	for _, t := range targets {
		if ino, ok := proctree.SocketInode(t); ok {
			if backlog, wanted := want[ino]; wanted {
				held[ino] = backlog
			}
		}
	}
	return held
}

func (l Listener) sample(ctx context.Context) (Sample, error) {
	if err := ctx.Err(); err != nil {
		return Sample{}, err
	}
	if l.families != nil {
		return l.sampleDiag()
	}
	lines, err := readTCP(l.root)
	if errors.Is(err, fs.ErrNotExist) {
		return Sample{}, fmt.Errorf("%w: %w", ErrGone, err) // the holder exited
	}
	if err != nil {
		return Sample{}, err
	}
	s, ok := fullest(lines, l.Port, l.sockets)
	if !ok {
		return Sample{}, ErrGone
	}
	s.At = time.Now()
	return s, nil
}

// lookupOne reads the one socket on the port by a lookup, when Find saw
// only one: false when it is not ours any more (it went, or another took
// the port) or the lookup failed, and the dump decides: the lookup only
// saves work, the dump is what the sample rests on.
func (l Listener) lookupOne() (diagSock, bool) {
	if l.one == nil {
		return diagSock{}, false
	}
	d, ok, err := diagOne(l.one, l.Port)
	if err != nil || !ok {
		return diagSock{}, false
	}
	_, ours := l.sockets[d.inode]
	return d, ours
}

// sampleDiag reads the queue through sock_diag, and, only while
// connections wait, which ones and how long the oldest has waited (a
// second dump, of the family's connections).
func (l Listener) sampleDiag() (Sample, error) {
	d, found := l.lookupOne()
	for _, f := range l.families {
		if l.one != nil && found {
			break
		}
		got, ok, err := diagQueue(f, l.Port, l.sockets)
		if err != nil {
			return Sample{}, err
		}
		if ok && (!found || got.queue > d.queue) {
			d, found = got, true
		}
	}
	if !found {
		return Sample{}, ErrGone
	}
	s := Sample{At: time.Now(), Queue: d.queue, Backlog: d.backlog, Members: []uint64{},
		Addr: net.JoinHostPort(d.addr.String(), strconv.Itoa(l.Port))}
	if s.Queue > 0 {
		s.Members = nil // unknown, unless the dump below works
		if members, oldest, err := diagWaiting(d.addr, l.Port); err == nil {
			s.Members, s.Oldest = members, oldest
			s.At = time.Now() // the ages are as of the second dump
		}
	}
	return s, nil
}

// readTCP reads root/net/tcp and root/net/tcp6 (root is a /proc/PID
// directory, or a recorded copy of one in the tests). A missing tcp6
// (IPv6 disabled in the kernel) is no error.
//
// procfs marks NetTCP deprecated in favour of netlink sock_diag, which
// would be a new dependency and would answer for hsup's own network
// namespace, not the child's; /proc/PID/net/tcp is stable kernel ABI.
func readTCP(root string) (procfs.NetTCP, error) {
	pfs, err := procfs.NewFS(root)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", root, err)
	}
	v4, err := pfs.NetTCP()
	if err != nil {
		return nil, fmt.Errorf("read %s/net/tcp: %w", root, err)
	}
	v6, err := pfs.NetTCP6()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s/net/tcp6: %w", root, err)
	}
	return append(v4, v6...), nil
}

// fullest is the sample of the LISTEN socket among sockets (inode to
// backlog), on port, with the longest queue: for a LISTEN socket the
// kernel writes the accept queue's length in rx_queue (get_tcp4_sock in
// net/ipv4/tcp_ipv4.c; tx_queue is not the backlog, see diag_linux.go).
// false when none of them is listening any more.
func fullest(lines procfs.NetTCP, port int, sockets map[uint64]int) (Sample, bool) {
	best := -1
	for i, l := range lines {
		_, ours := sockets[l.Inode]
		if l.St != tcpListen || l.LocalPort != uint64(port) || !ours {
			continue
		}
		if best < 0 || l.RxQueue > lines[best].RxQueue {
			best = i
		}
	}
	if best < 0 {
		return Sample{}, false
	}
	l := lines[best]
	return Sample{Queue: int(l.RxQueue), Backlog: sockets[l.Inode], Members: members(lines, l.LocalAddr, port),
		Addr: net.JoinHostPort(l.LocalAddr.String(), strconv.Itoa(port))}, true
}

// TCP states (include/net/tcp_states.h) of a connection that can wait in
// an accept queue: established, or closed by the client while waiting.
const (
	tcpEstablished = 0x01
	tcpCloseWait   = 0x08
)

// maxMembers bounds the identities kept per sample: a backlog is at most
// somaxconn (4096 by default).
const maxMembers = 8192

// members lists the connections waiting in the accept queue of the
// listener on local:port: the kernel lists them in /proc/net/tcp as
// connections on the local port with no inode (no descriptor refers to
// them until accept), established or closed by their client. Each is
// keyed by its remote address and port; the result is sorted.
func members(lines procfs.NetTCP, local net.IP, port int) []uint64 {
	out := []uint64{}
	for _, l := range lines {
		if l.Inode != 0 || l.LocalPort != uint64(port) || (l.St != tcpEstablished && l.St != tcpCloseWait) ||
			len(l.LocalAddr) != len(local) || (!local.IsUnspecified() && !l.LocalAddr.Equal(local)) {
			continue
		}
		if len(out) == maxMembers {
			break
		}
		out = append(out, memberKey(l.RemAddr, l.RemPort))
	}
	slices.Sort(out)
	return out
}

// memberKey identifies a connection by its remote address and port.
func memberKey(ip net.IP, port uint64) uint64 {
	h := fnv.New64a()
	h.Write(ip)
	h.Write([]byte{byte(port >> 8), byte(port)})
	return h.Sum64()
}
