package main

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// volumeWait bounds each start-up and exit step that touches a directory
// hsup does not control (the state and diagnostics directories: a hung
// NFS mount blocks in the kernel, where no context reaches).
const volumeWait = 5 * time.Second

// errOverran is what within returns, wrapped, for a step that overran.
var errOverran = errors.New("did not finish in time")

// within runs f and gives up waiting after d. A step that overran keeps
// running on its own goroutine (it is stuck in the kernel; nothing can
// stop it) and its result is dropped: hsup goes on without it.
func within(d time.Duration, what string, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("%s: %w, within %v (a hung volume?)", what, errOverran, d)
	}
}

// waitWithin waits for wg, giving up after d; it reports whether all ended.
func waitWithin(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
