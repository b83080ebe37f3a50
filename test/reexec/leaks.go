package reexec

import (
	"fmt"
	"os"
	"time"

	"go.uber.org/goleak"
)

const (
	// leakWait bounds how long goroutines and descriptors may take to go
	// away after the tests: finished readers and closed connections end
	// asynchronously.
	leakWait = 5 * time.Second
	// fdSlack allows for descriptors the runtime and net/http open on
	// first use and keep (epoll, pidfds).
	fdSlack = 4
)

// checkLeaks polls, up to leakWait, until no unexpected goroutine runs and
// at most fdSlack more descriptors than fdsBefore are open.
func checkLeaks(fdsBefore int) error {
	deadline := time.NewTimer(leakWait)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := leaked(fdsBefore)
		if err == nil {
			return nil
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return err
		}
	}
}

func leaked(fdsBefore int) error {
	if fds := countFDs(); fds > fdsBefore+fdSlack {
		return fmt.Errorf("open descriptors %d before the tests, %d after (%d allowed)", fdsBefore, fds, fdsBefore+fdSlack)
	}
	return goleak.Find()
}

// countFDs counts this process's open descriptors; /dev/fd lists them on
// Linux and macOS. It is -1 where there is no /dev/fd, which passes.
func countFDs() int {
	entries, err := os.ReadDir("/dev/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}
