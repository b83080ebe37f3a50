package acceptq

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hsup/hsup/test/reexec"

	"github.com/hsup/hsup/proctree"
)

// The recorded /proc/PID/net of testdata/README.md: three connections wait
// on the IPv4 listener (inode 9011812), none on the IPv6 one (9011813).
func TestFullestRecorded(t *testing.T) {
	lines, err := readTCP("testdata/linux/proc-stuck")
	if err != nil {
		t.Fatal(err)
	}
	const port = 33861
	if got := proctree.ListeningInodes(lines, port); len(got) != 2 || !got[9011812] || !got[9011813] {
		t.Errorf("ListeningInodes(%d) = %v, want inodes 9011812 and 9011813", port, got)
	}
	s, ok := fullest(lines, port, map[uint64]int{9011812: 4, 9011813: 8})
	if !ok || s.Queue != 3 || s.Backlog != 4 || s.Addr != "127.0.0.1:33861" || len(s.Members) != 3 {
		t.Errorf("fullest = %+v, %v; want queue 3 backlog 4 on 127.0.0.1:33861, 3 waiting connections named", s, ok)
	}
	s, ok = fullest(lines, port, map[uint64]int{9011813: 8})
	if !ok || s.Queue != 0 || s.Backlog != 8 || s.Addr != "[::1]:33861" || len(s.Members) != 0 || s.Members == nil {
		t.Errorf("fullest of the IPv6 socket = %+v, %v; want queue 0 backlog 8 on [::1]:33861", s, ok)
	}
	if _, ok := fullest(lines, port, map[uint64]int{1: 0}); ok {
		t.Error("a socket that is not in the file was found")
	}
}

// The noaccept helper is a child whose own child (the child's tree, not
// the child itself) listens on 127.0.0.1 (port 0: the kernel picks; Go's
// backlog is somaxconn), never accepts, prints "port N" and waits for its
// stdin to close.
//
//	noaccept
func init() { reexec.Register("noaccept", helperNoAccept) }

func helperNoAccept(args ...string) int {
	if len(args) == 1 && args[0] == "grandchild" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 1
		}
		defer ln.Close()
		fmt.Printf("port %d\n", ln.Addr().(*net.TCPAddr).Port)
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // EOF when the test is done
		return 0
	}
	cmd := exec.Command(os.Args[0], "grandchild")
	cmd.Env = os.Environ()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return 1
	}
	return 0
}

// TestFindAndSampleAChild finds the socket a real grandchild of the child
// listens on, watches connections pile up in its accept queue, and sees
// the socket go when the grandchild exits.
func TestFindAndSampleAChild(t *testing.T) {
	cmd := reexec.Command(t, "noaccept")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n') // the helper is ready: bounded by its own exit
	port, _ := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "port "))
	if err != nil || port == 0 {
		t.Fatalf("helper said %q: %v", line, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := Find(ctx, cmd.Process.Pid, port)
	if err != nil {
		t.Fatal(err)
	}
	if l.Pid == cmd.Process.Pid || l.Port != port {
		t.Errorf("listener %+v: want the grandchild's socket on port %d", l, port)
	}
	s := sampleUntil(t, ctx, l, func(s Sample) bool { return true })
	if s.Queue != 0 || s.Addr != "127.0.0.1:"+strconv.Itoa(port) || s.Backlog != somaxconn(t) {
		t.Errorf("idle sample %+v: want queue 0, backlog %d (Go listens with somaxconn)", s, somaxconn(t))
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	dialed := time.Now()
	for range 3 {
		c, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	s = sampleUntil(t, ctx, l, func(s Sample) bool { return s.Queue == 3 })
	t.Logf("after 3 connects: queue %d, backlog %d, %d waiting named", s.Queue, s.Backlog, len(s.Members))
	if l.families == nil || len(s.Members) != 3 {
		t.Errorf("sample %+v (sock_diag %v): want the 3 waiting connections named", s, l.families)
	}
	// The kernel's own clock of the wait: it grows, and never exceeds the
	// time since the first connect.
	s = sampleUntil(t, ctx, l, func(s Sample) bool { return s.Oldest >= 300*time.Millisecond })
	if since := time.Since(dialed); s.Oldest > since {
		t.Errorf("oldest waited %v, but the first connect was %v ago", s.Oldest, since)
	}
	// One socket on the port: read by a lookup of it, which agrees with
	// the dump of every listening socket.
	viaDump := l
	viaDump.one = nil
	d, err := viaDump.Sample(ctx)
	if l.one == nil || err != nil || d.Queue != 3 || d.Backlog != s.Backlog || !slices.Equal(d.Members, s.Members) || d.Addr != s.Addr {
		t.Errorf("lookup of the one socket (%v) %+v; dump %+v, %v", l.one, s, d, err)
	}
	// The same socket read the way a child in its own network namespace
	// is: from /proc/PID/net/tcp{,6} (the backlog is what Find learned).
	viaProc := l
	viaProc.families, viaProc.one = nil, nil
	p, err := viaProc.Sample(ctx)
	if err != nil || p.Queue != 3 || p.Backlog != s.Backlog || !slices.Equal(p.Members, s.Members) || p.Addr != s.Addr {
		t.Errorf("via /proc: %+v, %v; want queue 3 and the same backlog, members and address as %+v", p, err, s)
	}

	_ = stdin.Close() // the grandchild exits: its socket with it
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	cmd.Process = nil // waited
	if _, err := l.Sample(ctx); !errors.Is(err, ErrGone) {
		t.Errorf("sample after the holder exited: %v, want ErrGone", err)
	}
}

// sampleUntil samples l until ok says so, bounded by ctx.
func sampleUntil(t *testing.T, ctx context.Context, l Listener, ok func(Sample) bool) Sample {
	t.Helper()
	for {
		s, err := l.Sample(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok(s) {
			return s
		}
		timer := time.NewTimer(FastInterval) // the cadence of the watch, not synchronization
		select {
		case <-ctx.Done():
			timer.Stop()
			t.Fatalf("last sample %+v: %v", s, ctx.Err())
		case <-timer.C:
		}
	}
}

func somaxconn(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// A listener in this process is not the child's: Find for another pid
// (this test's child, which listens on nothing) must not take it.
func TestFindIgnoresOthersSockets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if l, err := Find(ctx, os.Getpid(), port); err != nil || l.Pid != os.Getpid() {
		t.Fatalf("Find(self) = %+v, %v", l, err)
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if _, err := Find(ctx, cmd.Process.Pid, port); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find(another process) = %v, want ErrNotFound", err)
	}
	if _, err := Find(ctx, 1, port); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find(pid 1) = %v, want ErrNotFound: init's tree is every process", err)
	}
}

// Two sockets on one port (SO_REUSEPORT): no lookup of one socket can
// stand for them, so the watch dumps, and reports the fuller queue.
func TestSampleTwoSocketsOnAPort(t *testing.T) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) })
		return errors.Join(err, serr)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := lc.Listen(ctx, "tcp", a.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	port := a.Addr().(*net.TCPAddr).Port
	l, err := Find(ctx, os.Getpid(), port)
	if err != nil || len(l.sockets) != 2 || l.one != nil {
		t.Fatalf("Find = %+v, %v; want both sockets and no single-socket lookup", l, err)
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 4 { // the kernel spreads them over the two queues
		c, err := net.DialTimeout("tcp", a.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	s := sampleUntil(t, ctx, l, func(s Sample) bool { return s.Queue >= 2 })
	if s.Queue > 4 || s.Addr != a.Addr().String() {
		t.Errorf("sample %+v: want the fuller of the two queues (2 to 4) on %s", s, a.Addr())
	}
}

// A socket bound to the wildcard address is found by the lookup too (the
// kernel's listener lookup for 0.0.0.0), and agrees with the dump.
func TestLookupWildcardListener(t *testing.T) {
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := Find(ctx, os.Getpid(), port)
	if err != nil || l.one == nil || !l.one.IsUnspecified() {
		t.Fatalf("Find = %+v, %v; want the one wildcard socket, read by lookup", l, err)
	}
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := sampleUntil(t, ctx, l, func(s Sample) bool { return s.Queue == 1 })
	viaDump := l
	viaDump.one = nil
	d, err := viaDump.Sample(ctx)
	if err != nil || d.Queue != s.Queue || d.Backlog != s.Backlog || d.Addr != s.Addr || !slices.Equal(d.Members, s.Members) {
		t.Errorf("lookup %+v; dump %+v, %v", s, d, err)
	}
}
