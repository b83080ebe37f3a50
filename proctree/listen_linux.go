package proctree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"
)

// tcpListen is the kernel's TCP_LISTEN state in /proc/net/tcp's st column.
const tcpListen = 0x0A

// Listeners returns the pids of processes with a TCP socket in LISTEN state
// on port (any local address, IPv4 and IPv6), sorted, without duplicates.
// unseen is true when some listening socket on the port was found in no
// process that hsup can inspect: another user's process while hsup is not
// root, or a process in another pid namespace. The scan of /proc/*/fd
// stops with ctx's error when ctx is done.
func Listeners(ctx context.Context, port int) (pids []int, unseen bool, err error) {
	pfs, err := procFS()
	if err != nil {
		return nil, false, err
	}
	inodes, err := listenInodes(pfs, port)
	if err != nil || len(inodes) == 0 {
		return nil, false, err
	}
	procs, err := pfs.AllProcs()
	if err != nil {
		return nil, false, fmt.Errorf("find listeners on port %d: list processes: %w", port, err)
	}
	s := newSocketScan(inodes)
	for _, p := range procs {
		if err := ctx.Err(); err != nil {
			return nil, false, fmt.Errorf("find listeners on port %d: %w", port, err)
		}
		// A process that ended since the listing, or whose descriptors
		// are not ours to read, is skipped; an inode that no readable
		// process holds is what makes the result unseen.
		if targets, err := p.FileDescriptorTargets(); err == nil {
			s.add(p.PID, targets)
		}
	}
	pids, unseen = s.result()
	return pids, unseen, nil
}

// listenInodes reads /proc/net/tcp and /proc/net/tcp6 and returns the
// inodes of the LISTEN sockets on port. A missing tcp6 (IPv6 disabled in
// the kernel) is no error.
//
// procfs marks NetTCP deprecated in favour of netlink sock_diag, which
// would be a new dependency; /proc/net/tcp is stable kernel ABI and is
// read once per child start.
func listenInodes(pfs procfs.FS, port int) (map[uint64]bool, error) {
	v4, err := pfs.NetTCP()
	if err != nil {
		return nil, fmt.Errorf("find listeners on port %d: read /proc/net/tcp: %w", port, err)
	}
	v6, err := pfs.NetTCP6()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("find listeners on port %d: read /proc/net/tcp6: %w", port, err)
	}
	inodes := ListeningInodes(v4, port)
	for ino := range ListeningInodes(v6, port) {
		inodes[ino] = true
	}
	return inodes, nil
}

// ListeningInodes filters socket lines to the inodes of LISTEN sockets on port.
// Inode 0 is a socket no descriptor refers to (one being closed), which no
// process can be found holding.
func ListeningInodes(lines procfs.NetTCP, port int) map[uint64]bool {
	inodes := make(map[uint64]bool)
	for _, l := range lines {
		if l.St == tcpListen && l.LocalPort == uint64(port) && l.Inode != 0 {
			inodes[l.Inode] = true
		}
	}
	return inodes
}

// socketScan matches the descriptors of processes, one at a time, against
// the wanted socket inodes.
type socketScan struct {
	want  map[uint64]bool
	found map[uint64]bool
	pids  []int
}

func newSocketScan(want map[uint64]bool) *socketScan {
	return &socketScan{want: want, found: make(map[uint64]bool)}
}

// add records pid as a holder when one of its descriptor targets
// ("socket:[INODE]" for a socket) is a wanted inode.
func (s *socketScan) add(pid int, targets []string) {
	holds := false
	for _, t := range targets {
		if ino, ok := SocketInode(t); ok && s.want[ino] {
			s.found[ino] = true
			holds = true
		}
	}
	if holds {
		s.pids = append(s.pids, pid)
	}
}

// result returns the holders, sorted and each once, and whether some
// wanted inode was held by no process the scan saw.
func (s *socketScan) result() (pids []int, unseen bool) {
	pids = slices.Clone(s.pids)
	slices.Sort(pids)
	pids = slices.Compact(pids)
	return pids, len(s.found) < len(s.want)
}

// SocketInode parses a /proc/PID/fd link target of the form "socket:[INODE]".
func SocketInode(target string) (uint64, bool) {
	rest, ok := strings.CutPrefix(target, "socket:[")
	if !ok {
		return 0, false
	}
	rest, ok = strings.CutSuffix(rest, "]")
	if !ok {
		return 0, false
	}
	ino, err := strconv.ParseUint(rest, 10, 64)
	return ino, err == nil
}
