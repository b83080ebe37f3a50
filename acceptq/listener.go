package acceptq

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Listener is a listening TCP socket of the child on one port, as Find
// found it. Sample reads its queue.
type Listener struct {
	Port int
	Pid  int // the process of the child's tree that holds it
	// Linux only. root is the /proc/PID directory whose net/tcp{,6} are
	// read (the holder's network namespace); sockets are the inodes of
	// the sockets on Port that the child's tree holds (IPv4 and IPv6, or
	// several with SO_REUSEPORT), each with its backlog (0: unknown);
	// families: the address families of those sockets when the queue is
	// read through sock_diag (the child shares hsup's network namespace),
	// nil otherwise; one: the address of the socket, when it is the only
	// one on the port, so that a lookup of it can stand for the dump.
	root     string
	sockets  map[uint64]int
	families []uint8
	one      net.IP
}

// ErrNotFound: the child's tree holds no listening socket on the port
// (not yet, or the app listens elsewhere).
var ErrNotFound = errors.New("no listening socket of the child on the port")

// ErrGone: the socket a Listener names is no longer listening (closed,
// or its holder exited); Find it again.
var ErrGone = errors.New("the listening socket is gone")

// Find returns the listening socket on port (any local address) held by
// pid or one of its descendants. It stops with ctx's error when ctx is
// done. The error wraps ErrNotFound when there is none.
func Find(ctx context.Context, pid, port int) (Listener, error) {
	if pid <= 1 || port < 1 || port > 65535 {
		return Listener{}, fmt.Errorf("find the listening socket of pid %d on port %d: %w", pid, port, ErrNotFound)
	}
	l, err := find(ctx, pid, port)
	if err != nil {
		return Listener{}, fmt.Errorf("find the listening socket of pid %d on port %d: %w", pid, port, err)
	}
	return l, nil
}

// Sample reads the queue of the listener's socket now. With several
// sockets on the port it reports the fullest. The error wraps ErrGone
// when the socket no longer listens.
func (l Listener) Sample(ctx context.Context) (Sample, error) {
	s, err := l.sample(ctx)
	if err != nil {
		return Sample{}, fmt.Errorf("sample the accept queue on port %d: %w", l.Port, err)
	}
	return s, nil
}
