package acceptq

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/hsup/hsup/proctree"
	"github.com/hsup/hsup/reaper"
)

const (
	// netstatTimeout bounds one netstat run: it reads one sysctl and
	// prints, in milliseconds on an idle Mac.
	netstatTimeout = 2 * time.Second
	// netstatWaitDelay bounds the wait for its output pipe after a kill.
	netstatWaitDelay = time.Second
	// netstatMax bounds the output kept: a line per listening socket.
	netstatMax = 1 << 20
)

// find asks lsof (proctree.Listeners) who listens on port: every listener
// must be the child or one of its descendants, because `netstat -L`
// names sockets by address only, so another process's socket on the port
// could not be told apart from the child's.
func find(ctx context.Context, pid, port int) (Listener, error) {
	pids, _, err := proctree.Listeners(ctx, port)
	if err != nil {
		return Listener{}, err
	}
	if len(pids) == 0 {
		return Listener{}, ErrNotFound
	}
	mine := map[int]bool{pid: true}
	below, _ := proctree.Walk(pid) // a tree that cannot be read leaves the child itself
	for _, p := range below {
		mine[p.Pid] = true
	}
	for _, l := range pids {
		if !mine[l] {
			return Listener{}, fmt.Errorf("%w: pid %d, outside the child's tree, listens on the port too", ErrNotFound, l)
		}
	}
	return Listener{Port: port, Pid: pids[0]}, nil
}

func (l Listener) sample(ctx context.Context) (Sample, error) {
	out, err := netstat(ctx)
	if err != nil {
		return Sample{}, err
	}
	rows, err := parseNetstat(out)
	if err != nil {
		return Sample{}, err
	}
	s, ok := fullestRow(rows, l.Port)
	if !ok {
		return Sample{}, ErrGone
	}
	s.At = time.Now()
	return s, nil
}

// netstat runs `netstat -L -a -n -W -p tcp`, bounded in time and output,
// through package reaper (the owner of every wait). -W keeps long IPv6
// addresses whole, so their port is not cut off.
func netstat(ctx context.Context) ([]byte, error) {
	path, err := exec.LookPath("netstat")
	if err != nil {
		return nil, fmt.Errorf("netstat not found on PATH: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, netstatTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-L", "-a", "-n", "-W", "-p", "tcp")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = netstatWaitDelay
	out := &reaper.Capped{Limit: netstatMax}
	cmd.Stdout = out
	err = reaper.Start(cmd)
	if err == nil {
		err = reaper.Wait(cmd)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("netstat killed at its deadline: %w", errors.Join(ctx.Err(), err))
	}
	if err != nil {
		return nil, fmt.Errorf("netstat: %w", err)
	}
	return out.Bytes(), nil
}
