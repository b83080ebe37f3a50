package systemd

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"go.uber.org/zap"
)

// notifyWriteTimeout bounds one datagram write; the service manager reads
// its socket promptly, so a stall means it is gone, not busy.
const notifyWriteTimeout = time.Second

// Notifier speaks the sd_notify protocol to the service manager that started
// hsup. Without NOTIFY_SOCKET every method is a no-op returning nil.
type Notifier struct {
	log      *zap.Logger
	socket   string        // NOTIFY_SOCKET at construction; "" = disabled
	interval time.Duration // half of WATCHDOG_USEC; 0 = no watchdog

	readyOnce sync.Once
	readyErr  error
}

// NewNotifier reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once. The
// socket address is kept, so the integrator may remove NOTIFY_SOCKET from
// the environment afterwards (e.g. so the child does not inherit it).
func NewNotifier(log *zap.Logger) *Notifier {
	n := &Notifier{log: log, socket: os.Getenv("NOTIFY_SOCKET")}
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

// Ready sends READY=1 once; later calls return the first call's result, so
// the integrator may call it after every first ok probe.
func (n *Notifier) Ready() error {
	n.readyOnce.Do(func() { n.readyErr = n.send(daemon.SdNotifyReady) })
	return n.readyErr
}

// Status sends STATUS=line. Line breaks are folded to spaces because the
// protocol is one assignment per line.
func (n *Notifier) Status(line string) error {
	line = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(line)
	return n.send("STATUS=" + line)
}

// Stopping sends STOPPING=1; call it once hsup stops for good.
func (n *Notifier) Stopping() error { return n.send(daemon.SdNotifyStopping) }

// RunWatchdog sends WATCHDOG=1 every WatchdogInterval as long as alive
// returns nil within half an interval; a failed or slow alive skips that
// ping, so systemd restarts a wedged hsup. It returns nil when ctx is done;
// with the watchdog off it only waits for ctx, so it can always join a run
// group.
func (n *Notifier) RunWatchdog(ctx context.Context, alive func(ctx context.Context) error) error {
	if n.interval <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(n.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			n.watchdogTick(ctx, alive)
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
	if err := n.send(daemon.SdNotifyWatchdog); err != nil {
		n.log.Warn("systemd watchdog ping failed", zap.Error(err))
	}
}

// send writes one datagram to the socket captured at construction. It
// mirrors daemon.SdNotify, which would re-read the environment on every call.
func (n *Notifier) send(state string) error {
	if n.socket == "" {
		return nil
	}
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
