package acceptq

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel reports every listening socket through NETLINK_SOCK_DIAG
// (what `ss -l` shows): for a LISTEN socket inet_diag_msg.idiag_rqueue is
// the accept queue's length and idiag_wqueue the backlog
// (sk_max_ack_backlog, net/ipv4/inet_diag.c). A dump of LISTEN sockets
// only walks the listening hash, not the connections, so it costs
// microseconds however busy the machine is, where /proc/net/tcp formats a
// line for every TCP socket (about 2 ms for 500 sockets here). A netlink
// socket answers for hsup's own network namespace, so it is used when the
// child shares it (the common case); a child in a namespace of its own is
// read through its /proc/PID/net/tcp{,6} (find_linux.go), whose tx_queue
// column is not the backlog (it is write_seq - snd_una, 0 for a
// listener), so the backlog is then unknown (0).
//
// The connections waiting in the queue are full sockets already, in the
// connection hash, established (or closed by their client) and with no
// inode, since no descriptor refers to them before accept. A dump of
// those states with tcp_info tells how long each has waited: the app
// cannot have written to a connection it never accepted, so tcp_info's
// last_data_sent is the time since the kernel created the socket, when
// the handshake completed and it joined the queue (tcp_create_openreq_child
// sets lsndtime). last_data_recv and last_ack_recv only come later, so
// the least of the three is a lower bound of the wait.

// Layout of the sock_diag messages (linux/inet_diag.h, linux/sock_diag.h,
// linux/tcp.h), which x/sys/unix does not define.
const (
	diagReqLen      = 56 // struct inet_diag_req_v2
	diagReqSportAt  = 8  // id.idiag_sport (big endian) in inet_diag_req_v2
	diagReqSrcAt    = 12 // id.idiag_src: 16 bytes
	diagReqCookieAt = 48 // id.idiag_cookie: 8 bytes
	diagMsgLen      = 72 // struct inet_diag_msg
	diagSportAt     = 4  // idiag_sport (big endian) in inet_diag_msg
	diagDportAt     = 6  // idiag_dport (big endian)
	diagSrcAt       = 8  // idiag_src: 16 bytes, the first 4 for IPv4
	diagDstAt       = 24 // idiag_dst: likewise
	diagRqueueAt    = 56 // idiag_rqueue in inet_diag_msg
	diagWqueueAt    = 60 // idiag_wqueue in inet_diag_msg
	diagInodeAt     = 68 // idiag_inode in inet_diag_msg
	diagInfoAttr    = 2  // INET_DIAG_INFO: struct tcp_info
	infoDataSent    = 44 // tcpi_last_data_sent (ms) in struct tcp_info
	infoDataRecv    = 52 // tcpi_last_data_recv (ms)
	infoAckRecv     = 56 // tcpi_last_ack_recv (ms)
	infoMinLen      = 60
	diagMaxReads    = 1024
	diagRecvBuf     = 16 << 10 // the kernel splits a dump over as many reads as it needs
	diagAgeJiffy    = 10 * time.Millisecond
	diagListening   = 1 << tcpListen
	diagQueued      = 1<<tcpEstablished | 1<<tcpCloseWait
)

// diagSock is one listening socket as sock_diag reports it.
type diagSock struct {
	inode          uint64
	port           int
	addr           net.IP
	queue, backlog int
}

// listeners returns every listening TCP socket (IPv4 and IPv6) in hsup's
// network namespace: one dump per family of LISTEN sockets only.
func listeners() ([]diagSock, error) {
	var out []diagSock
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		err := diagQuery(family, diagListening, false, func(d []byte) {
			out = append(out, diagListener(d, family))
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// diagListener decodes one inet_diag_msg of a LISTEN socket.
func diagListener(d []byte, family uint8) diagSock {
	ne := binary.NativeEndian
	return diagSock{inode: uint64(ne.Uint32(d[diagInodeAt:])), port: int(binary.BigEndian.Uint16(d[diagSportAt:])),
		addr: diagAddr(d[diagSrcAt:], family), queue: int(ne.Uint32(d[diagRqueueAt:])), backlog: int(ne.Uint32(d[diagWqueueAt:]))}
}

func diagAddr(b []byte, family uint8) net.IP {
	if family == unix.AF_INET {
		return net.IP(bytes.Clone(b[:4]))
	}
	return net.IP(bytes.Clone(b[:16]))
}

// diagFamily is the sock_diag family of a socket bound to local.
func diagFamily(local net.IP) uint8 {
	if len(local) == net.IPv4len {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// diagOne reads the listening socket on addr:port through the kernel's
// lookup of one socket (what a connection to addr:port would reach), not
// a dump: a dump walks every bucket of the listening hash, tens of
// thousands on a large machine, empty or not, and at a sample a second
// that was most of the watch's cost. false when no socket listens there.
func diagOne(addr net.IP, port int) (diagSock, bool, error) {
	family := diagFamily(addr)
	var got diagSock
	found := false
	err := diagRequest(family, diagListening, false, func(body []byte) {
		binary.BigEndian.PutUint16(body[diagReqSportAt:], uint16(port))
		copy(body[diagReqSrcAt:diagReqSrcAt+16], addr)
		binary.NativeEndian.PutUint64(body[diagReqCookieAt:], ^uint64(0)) // INET_DIAG_NOCOOKIE
	}, func(d []byte) { got, found = diagListener(d, family), true })
	if errors.Is(err, syscall.ENOENT) {
		return diagSock{}, false, nil
	}
	return got, found, err
}

// diagQueue reads the accept queue of the fullest of sockets (inode to
// backlog) on port: one dump of the family's LISTEN sockets, nothing kept
// but the one wanted. false when none of them listens any more.
func diagQueue(family uint8, port int, sockets map[uint64]int) (diagSock, bool, error) {
	var best diagSock
	found := false
	err := diagQuery(family, diagListening, false, func(d []byte) {
		ne := binary.NativeEndian
		_, ours := sockets[uint64(ne.Uint32(d[diagInodeAt:]))]
		if !ours || int(binary.BigEndian.Uint16(d[diagSportAt:])) != port {
			return
		}
		if q := int(ne.Uint32(d[diagRqueueAt:])); !found || q > best.queue {
			best, found = diagListener(d, family), true
		}
	})
	return best, found, err
}

// diagWaiting lists the connections waiting in the accept queue of the
// listener on local:port (established or closed by their client, with no
// inode), keyed as members keys them, sorted, and the longest any of them
// has waited (a lower bound; 0 when none is known).
func diagWaiting(local net.IP, port int) ([]uint64, time.Duration, error) {
	family := diagFamily(local)
	out := []uint64{}
	var oldest time.Duration
	err := diagQuery(family, diagQueued, true, func(d []byte) {
		ne := binary.NativeEndian
		if ne.Uint32(d[diagInodeAt:]) != 0 || int(binary.BigEndian.Uint16(d[diagSportAt:])) != port || len(out) == maxMembers {
			return
		}
		if n := len(local); !local.IsUnspecified() && !bytes.Equal(d[diagSrcAt:diagSrcAt+n], local) {
			return
		}
		out = append(out, memberKey(d[diagDstAt:diagDstAt+len(local)], uint64(binary.BigEndian.Uint16(d[diagDportAt:]))))
		oldest = max(oldest, waited(d[diagMsgLen:]))
	})
	if err != nil {
		return nil, 0, err
	}
	slices.Sort(out)
	return out, oldest, nil
}

// waited is the least of tcp_info's times since the socket last sent
// data, received data and received an ack, from the attributes after an
// inet_diag_msg, less a jiffy of rounding: 0 without tcp_info.
func waited(attrs []byte) time.Duration {
	ne := binary.NativeEndian
	for len(attrs) >= unix.SizeofRtAttr {
		n, typ := int(ne.Uint16(attrs)), ne.Uint16(attrs[2:])
		if n < unix.SizeofRtAttr || n > len(attrs) {
			return 0
		}
		if info := attrs[unix.SizeofRtAttr:n]; typ == diagInfoAttr && len(info) >= infoMinLen {
			ms := min(ne.Uint32(info[infoDataSent:]), ne.Uint32(info[infoDataRecv:]), ne.Uint32(info[infoAckRecv:]))
			return max(time.Duration(ms)*time.Millisecond-diagAgeJiffy, 0)
		}
		attrs = attrs[min(nlAlign(n), len(attrs)):]
	}
	return 0
}

func nlAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// diagQuery dumps the TCP sockets of one family in the states of the
// mask (with tcp_info when info) and calls visit with each inet_diag_msg
// and its attributes. visit must not keep the slice.
func diagQuery(family uint8, states uint32, info bool, visit func([]byte)) error {
	return diagRequest(family, states, info, nil, visit)
}

// diagRequest sends one sock_diag request and calls visit with each
// inet_diag_msg of the answer: a dump, or, when one is set (it fills in
// the request's socket id), the lookup of one socket, which the kernel
// answers with one message or an error. Requests share one netlink
// socket, opened on first use and again after a failure: the watch asks
// once a second, and a socket of its own each time was a fifth of its
// cost.
func diagRequest(family uint8, states uint32, info bool, one func(body []byte), visit func([]byte)) error {
	diagConn.Lock()
	defer diagConn.Unlock()
	if err := diagConn.open(); err != nil {
		return err
	}
	diagConn.seq++
	req := diagConn.req[:]
	clear(req)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	flags := uint16(unix.NLM_F_REQUEST | unix.NLM_F_DUMP)
	body := req[unix.NLMSG_HDRLEN:]
	if one != nil {
		flags = unix.NLM_F_REQUEST
		one(body)
	}
	ne.PutUint16(req[6:], flags)
	ne.PutUint32(req[8:], diagConn.seq)
	body[0], body[1] = family, unix.IPPROTO_TCP
	if info {
		body[2] = 1 << (diagInfoAttr - 1) // idiag_ext
	}
	ne.PutUint32(body[4:], states) // idiag_states
	err := diagConn.exchange(req, one != nil, visit)
	if err != nil && !errors.Is(err, syscall.ENOENT) { // ENOENT: a lookup found nothing, the socket is fine
		diagConn.close()
	}
	return err
}

// diagSocket is the shared netlink socket and its buffers, under its
// lock.
type diagSocket struct {
	sync.Mutex
	fd  int // -1: closed
	seq uint32
	req [unix.NLMSG_HDRLEN + diagReqLen]byte
	buf []byte
}

var diagConn = diagSocket{fd: -1}

func (c *diagSocket) open() error {
	if c.fd >= 0 {
		return nil
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return fmt.Errorf("open a sock_diag socket: %w", err)
	}
	tv := unix.Timeval{Sec: 1}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return fmt.Errorf("bound the sock_diag socket's reads: %w", err)
	}
	c.fd = fd
	if c.buf == nil {
		c.buf = make([]byte, diagRecvBuf)
	}
	return nil
}

// close drops the socket after a failure, with whatever of an answer is
// still queued on it.
func (c *diagSocket) close() {
	if c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
}

// exchange sends req and reads its answer, to NLMSG_DONE for a dump, to
// the first message of the request for a lookup.
func (c *diagSocket) exchange(req []byte, lookup bool, visit func([]byte)) error {
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("send a sock_diag request: %w", err)
	}
	for range diagMaxReads {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err != nil {
			return fmt.Errorf("read the sock_diag answer: %w", err)
		}
		done, err := diagParse(c.buf[:n], c.seq, lookup, visit)
		if err != nil || done {
			return err
		}
	}
	return errors.New("read the sock_diag answer: no end after many reads")
}

// diagParse walks one datagram of an answer to request seq; done at
// NLMSG_DONE, or, for a lookup, at its one message.
func diagParse(b []byte, seq uint32, lookup bool, visit func([]byte)) (done bool, err error) {
	ne := binary.NativeEndian
	for len(b) >= unix.NLMSG_HDRLEN {
		n := int(ne.Uint32(b))
		if n < unix.NLMSG_HDRLEN || n > len(b) {
			return false, errors.New("parse the sock_diag answer: a message overruns its datagram")
		}
		typ, data := ne.Uint16(b[4:]), b[unix.NLMSG_HDRLEN:n]
		switch {
		case ne.Uint32(b[8:]) != seq: // a late answer to an earlier request
		case typ == unix.NLMSG_DONE:
			return true, nil
		case typ == unix.NLMSG_ERROR:
			if len(data) >= 4 {
				if errno := int32(ne.Uint32(data)); errno < 0 {
					return false, fmt.Errorf("sock_diag: %w", syscall.Errno(-errno))
				}
			}
			return false, errors.New("sock_diag: error answer")
		case len(data) >= diagMsgLen:
			visit(data)
			if lookup {
				return true, nil
			}
		}
		b = b[min(nlAlign(n), len(b)):]
	}
	return false, nil
}

// sameNetns reports whether pid's network namespace is hsup's own.
func sameNetns(pid int) bool {
	mine, err := os.Stat("/proc/self/ns/net")
	if err != nil {
		return false
	}
	theirs, err := os.Stat("/proc/" + strconv.Itoa(pid) + "/ns/net")
	return err == nil && os.SameFile(mine, theirs)
}
