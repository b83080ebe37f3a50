package acceptq

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

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

// Layout of the sock_diag messages (linux/inet_diag.h, linux/sock_diag.h),
// which x/sys/unix does not define.
const (
	diagReqLen   = 56 // struct inet_diag_req_v2
	diagMsgLen   = 72 // struct inet_diag_msg
	diagSportAt  = 4  // idiag_sport (big endian) in inet_diag_msg
	diagSrcAt    = 8  // idiag_src: 16 bytes, the first 4 for IPv4
	diagRqueueAt = 56 // idiag_rqueue in inet_diag_msg
	diagWqueueAt = 60 // idiag_wqueue in inet_diag_msg
	diagInodeAt  = 68 // idiag_inode in inet_diag_msg
	diagMaxReads = 1024
	diagRecvBuf  = 16 << 10 // the kernel splits a dump over as many reads as it needs
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
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("open a sock_diag socket: %w", err)
	}
	defer unix.Close(fd)
	tv := unix.Timeval{Sec: 1}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, fmt.Errorf("bound the sock_diag socket's reads: %w", err)
	}
	var out []diagSock
	buf := make([]byte, diagRecvBuf)
	for seq, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		if err := diagDump(fd, buf, uint32(seq+1), family, &out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// diagDump asks for the LISTEN TCP sockets of one family and adds them
// to out.
func diagDump(fd int, buf []byte, seq uint32, family uint8, out *[]diagSock) error {
	req := make([]byte, unix.NLMSG_HDRLEN+diagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], seq)
	body := req[unix.NLMSG_HDRLEN:]
	body[0], body[1] = family, unix.IPPROTO_TCP
	ne.PutUint32(body[4:], 1<<tcpListen) // idiag_states
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("send a sock_diag request: %w", err)
	}
	for range diagMaxReads {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return fmt.Errorf("read the sock_diag answer: %w", err)
		}
		done, err := diagParse(buf[:n], seq, family, out)
		if err != nil || done {
			return err
		}
	}
	return errors.New("read the sock_diag answer: no end after many reads")
}

// diagParse reads one datagram of a dump; done at NLMSG_DONE.
func diagParse(b []byte, seq uint32, family uint8, out *[]diagSock) (done bool, err error) {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return false, fmt.Errorf("parse the sock_diag answer: %w", err)
	}
	ne := binary.NativeEndian
	for _, m := range msgs {
		switch {
		case m.Header.Seq != seq:
			continue // a late answer to an earlier request
		case m.Header.Type == unix.NLMSG_DONE:
			return true, nil
		case m.Header.Type == unix.NLMSG_ERROR:
			if len(m.Data) >= 4 {
				if errno := int32(ne.Uint32(m.Data)); errno < 0 {
					return false, fmt.Errorf("sock_diag: %w", syscall.Errno(-errno))
				}
			}
			return false, errors.New("sock_diag: error answer")
		case len(m.Data) >= diagMsgLen:
			*out = append(*out, diagMsg(m.Data, family))
		}
	}
	return false, nil
}

// diagMsg decodes one inet_diag_msg of a LISTEN socket.
func diagMsg(d []byte, family uint8) diagSock {
	ne := binary.NativeEndian
	addr := net.IP(bytes.Clone(d[diagSrcAt : diagSrcAt+16]))
	if family == unix.AF_INET {
		addr = net.IP(bytes.Clone(d[diagSrcAt : diagSrcAt+4]))
	}
	return diagSock{inode: uint64(ne.Uint32(d[diagInodeAt:])), port: int(binary.BigEndian.Uint16(d[diagSportAt:])), addr: addr,
		queue: int(ne.Uint32(d[diagRqueueAt:])), backlog: int(ne.Uint32(d[diagWqueueAt:]))}
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
