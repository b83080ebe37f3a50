package systemd

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"go.uber.org/zap"
)

const (
	// notifyWriteTimeout bounds one datagram write; the service manager reads
	// its socket promptly, so a stall means it is gone, not busy.
	notifyWriteTimeout = time.Second
	// notifyQueue is how many messages may wait for the sender; past it a
	// message is dropped (and counted), never waited for.
	notifyQueue = 32
	// flushBound bounds the delivery of what is still queued when Run ends
	// (STOPPING=1 among it).
	flushBound = 2 * time.Second
)

// Notifier speaks the sd_notify protocol to the service manager that started
// hsup. Ready, Status and Stopping only queue a message: Run's goroutine
// sends it, so a caller (the supervisor's loop) never waits on the socket.
// Without NOTIFY_SOCKET every method is a no-op.
type Notifier struct {
	log      *zap.Logger
	socket   string        // NOTIFY_SOCKET at construction; "" = disabled
	interval time.Duration // half of WATCHDOG_USEC; 0 = no watchdog
	send     func(state string) error

	queue               chan string
	readyOnce, stopOnce sync.Once
	dropped             atomic.Int64
	failed              map[string]bool // kinds whose failure was logged; Run's goroutine only
}

// NewNotifier reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once. The
// socket address is kept, so the integrator may remove NOTIFY_SOCKET from
// the environment afterwards (e.g. so the child does not inherit it).
func NewNotifier(log *zap.Logger) *Notifier {
	n := &Notifier{log: log, socket: os.Getenv("NOTIFY_SOCKET"), queue: make(chan string, notifyQueue), failed: map[string]bool{}}
	n.send = n.write
	if n.socket == "" {
		return n
	}
	usec, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("ignoring malformed systemd watchdog settings; fix WATCHDOG_USEC/WATCHDOG_PID in the unit",
			zap.Error(err))
	}
	n.interval = usec / 2
	log.Info("sd_notify enabled", zap.String("socket", n.socket), zap.Duration("watchdog_interval", n.interval))
	return n
}

// Enabled reports whether NOTIFY_SOCKET was set.
func (n *Notifier) Enabled() bool { return n.socket != "" }

// WatchdogInterval returns half of WATCHDOG_USEC, the ping period systemd
// recommends; 0 when the watchdog is off or NOTIFY_SOCKET is unset.
func (n *Notifier) WatchdogInterval() time.Duration { return n.interval }

// Ready queues READY=1 once; later calls do nothing.
func (n *Notifier) Ready() { n.readyOnce.Do(func() { n.enqueue(daemon.SdNotifyReady) }) }

// Status queues STATUS=line. Line breaks are folded to spaces because the
// protocol is one assignment per line.
func (n *Notifier) Status(line string) {
	n.enqueue("STATUS=" + strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(line))
}

// Stopping queues STOPPING=1 once; call it when hsup stops for good.
func (n *Notifier) Stopping() { n.stopOnce.Do(func() { n.enqueue(daemon.SdNotifyStopping) }) }

// Dropped is how many messages were dropped because the queue was full.
func (n *Notifier) Dropped() int64 { return n.dropped.Load() }

func (n *Notifier) enqueue(state string) {
	if n.socket == "" {
		return
	}
	select {
	case n.queue <- state:
	default:
		n.dropped.Add(1)
	}
}

// Run sends the queued messages and, with the watchdog on, WATCHDOG=1 every
// WatchdogInterval as long as alive returns nil within half an interval: a
// failed or slow alive skips that ping, so systemd restarts a wedged hsup.
// When ctx is done it delivers what is still queued, within a bound, and
// returns nil. Without NOTIFY_SOCKET it only waits for ctx, so it can
// always join a run group. The first failure of each kind of message is
// logged.
func (n *Notifier) Run(ctx context.Context, alive func(ctx context.Context) error) error {
	if n.socket == "" {
		<-ctx.Done()
		return nil
	}
	var tick <-chan time.Time
	if n.interval > 0 {
		t := time.NewTicker(n.interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			n.flush()
			return nil
		case state := <-n.queue:
			n.deliver(state)
		case <-tick:
			n.watchdogTick(ctx, alive)
		}
	}
}

// flush delivers what is queued, giving up after flushBound.
func (n *Notifier) flush() {
	deadline := time.Now().Add(flushBound)
	for time.Now().Before(deadline) {
		select {
		case state := <-n.queue:
			n.deliver(state)
		default:
			return
		}
	}
}

// watchdogTick checks alive and pings only when it answered in time.
func (n *Notifier) watchdogTick(ctx context.Context, alive func(ctx context.Context) error) {
	actx, cancel := context.WithTimeout(ctx, n.interval/2)
	defer cancel()
	if err := alive(actx); err != nil {
		if ctx.Err() == nil {
			n.log.Warn("hsup loop not answering; skipping systemd watchdog ping", zap.Error(err))
		}
		return
	}
	n.deliver(daemon.SdNotifyWatchdog)
}

// deliver sends one message and logs the first failure of its kind (and
// the first success after a failure).
func (n *Notifier) deliver(state string) {
	kind, _, _ := strings.Cut(state, "=")
	err := n.send(state)
	switch {
	case err != nil && !n.failed[kind]:
		n.failed[kind] = true
		n.log.Warn("sd_notify failed; later failures of this kind are not logged", zap.String("kind", kind), zap.Error(err))
	case err == nil && n.failed[kind]:
		delete(n.failed, kind)
		n.log.Info("sd_notify works again", zap.String("kind", kind))
	}
}

// write sends one datagram to the socket captured at construction. It
// mirrors daemon.SdNotify, which would re-read the environment on every call.
func (n *Notifier) write(state string) error {
	addr := &net.UnixAddr{Name: n.socket, Net: "unixgram"}
	conn, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return fmt.Errorf("sd_notify %q: connect to NOTIFY_SOCKET %s: %w; is the service manager still running?",
			state, n.socket, err)
	}
	defer conn.Close()
	if err := conn.SetWriteDeadline(time.Now().Add(notifyWriteTimeout)); err != nil {
		return fmt.Errorf("sd_notify %q: set write deadline: %w", state, err)
	}
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify %q to %s: %w", state, n.socket, err)
	}
	n.log.Debug("sd_notify sent", zap.String("state", state))
	return nil
}
