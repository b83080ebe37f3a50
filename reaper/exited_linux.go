//go:build linux

package reaper

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Exited returns once child pid of hsup has exited, without reaping it:
// it stays a zombie, so its pid and process group cannot be reused yet.
//
// It waits on a pidfd through Go's poller. A waitid that blocks holds an
// OS thread for the child's whole life, and the runtime keeps every
// thread it ever made: two (the child's and its lifeline's) were a fifth
// of an idle hsup's threads, each with its stacks. Where a non-blocking
// pidfd cannot be had (PIDFD_NONBLOCK is Linux 5.10; pidfd_open 5.3), or
// hsup is out of descriptors, it blocks in waitid as before.
func Exited(pid int) error {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return blockUntilExited(pid)
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return blockUntilExited(pid)
	}
	var werr error
	err = rc.Read(func(fd uintptr) bool {
		var done bool
		done, werr = exitedNow(int(fd))
		return done
	})
	if err != nil { // not pollable after all: nothing was waited for
		return blockUntilExited(pid)
	}
	return werr
}

// exitedNow asks, without blocking or reaping, whether the process of
// pidfd fd has exited. The kernel sets si_signo to SIGCHLD only when it
// found an exited child; with WNOHANG and none, it is 0. It retries EINTR
// itself: the pidfd's readiness has already been seen, and waiting for it
// again could wait forever.
func exitedNow(fd int) (done bool, err error) {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PIDFD, fd, &info, unix.WEXITED|unix.WNOWAIT|unix.WNOHANG, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return true, err
		default:
			return info.Signo == int32(unix.SIGCHLD), nil
		}
	}
}

// blockUntilExited is Exited with a blocking waitid.
func blockUntilExited(pid int) error {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
