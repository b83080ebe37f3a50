package demoapp

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// switchState is which failure switches are on. All are off at start.
// EMFile is on once the emfile action has run the app out of descriptors.
type switchState struct {
	NoAccept, Hang, Reset, Deep, Freeze, Busy, EMFile bool
}

// on lists the names of the switches that are on, in a fixed order, so
// answers are deterministic. It is never nil, so JSON shows [] not null.
func (s switchState) on() []string {
	names := []string{}
	for _, f := range []struct {
		name string
		on   bool
	}{
		{"noaccept", s.NoAccept}, {"hang", s.Hang}, {"reset", s.Reset},
		{"deep", s.Deep}, {"freeze", s.Freeze}, {"busy", s.Busy}, {"emfile", s.EMFile},
	} {
		if f.on {
			names = append(names, f.name)
		}
	}
	return names
}

// turnOn returns s with the named switch on. ok is false for a name that is
// not a plain on/off switch (leak, crash and heal are actions).
func (s switchState) turnOn(name string) (next switchState, ok bool) {
	switch name {
	case "noaccept":
		s.NoAccept = true
	case "hang":
		s.Hang = true
	case "reset":
		s.Reset = true
	case "deep":
		s.Deep = true
	case "freeze":
		s.Freeze = true
	case "busy":
		s.Busy = true
	case "emfile":
		s.EMFile = true
	default:
		return s, false
	}
	return s, true
}

// healed returns s with the switches off that can be undone while the app
// is still reachable. noaccept, hang, reset and emfile stay: nothing new
// gets through once they are on, so healing them would be a keep-alive
// trick (and emfile's descriptors stay leaked).
func (s switchState) healed() switchState {
	s.Deep, s.Freeze, s.Busy = false, false, false
	return s
}

// acceptAction is what the listener does with a connection it accepted.
type acceptAction int

const (
	acceptServe acceptAction = iota // hand it to the HTTP server
	acceptHold                      // keep it open, never read it (hang)
	acceptReset                     // close it with SO_LINGER 0 (reset)
)

// String names the action for test messages.
func (a acceptAction) String() string {
	switch a {
	case acceptServe:
		return "serve"
	case acceptHold:
		return "hold"
	case acceptReset:
		return "reset"
	}
	return fmt.Sprintf("acceptAction(%d)", int(a))
}

// acceptStats is the WebUI's accept_loop: connections accepted and when the
// last one was.
type acceptStats struct {
	Total int64
	Last  time.Time // zero before the first counted accept
}

// decideAccept is the pure decision for one accepted connection at now: the
// action and the new stats. Every accepted connection counts, including
// ones that are then held or reset, unless freeze is on, or emfile is
// (countAttempt counted it before the accept). Reset wins over hang when
// both are on.
func decideAccept(sw switchState, st acceptStats, now time.Time) (acceptAction, acceptStats) {
	if !sw.Freeze && !sw.EMFile {
		st = acceptStats{Total: st.Total + 1, Last: now}
	}
	switch {
	case sw.Reset:
		return acceptReset, st
	case sw.Hang:
		return acceptHold, st
	}
	return acceptServe, st
}

// countAttempt is the pure count of one call of accept at now, before the
// kernel is asked: with emfile on the app counts like the WebUI's
// socketserver, whose accept_loop counter goes up before accept() fails,
// so the counter keeps climbing while nothing is served. Freeze still
// stops it.
func countAttempt(sw switchState, st acceptStats, now time.Time) acceptStats {
	if sw.EMFile && !sw.Freeze {
		return acceptStats{Total: st.Total + 1, Last: now}
	}
	return st
}

// swallows reports whether the accept loop ignores err and retries at once:
// with emfile on, running out of descriptors (EMFILE, or ENFILE for the
// whole system) is swallowed as socketserver does, which spins: the
// connection stays in the backlog, so the next accept fails at once too.
func swallows(sw switchState, err error) bool {
	return sw.EMFile && outOfFDs(err)
}

// outOfFDs reports whether err is the process (or the system) running out
// of descriptors.
func outOfFDs(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// state is the app's mutable state, shared by the listener and handlers.
type state struct {
	mu       sync.Mutex
	switches switchState
	accepts  acceptStats
	leaked   []*os.File // never closed while running: that is the leak
	exhausts string     // the file emfile keeps the descriptors on, once it is on
}

// onAccept applies decideAccept under the lock.
func (s *state) onAccept(now time.Time) acceptAction {
	s.mu.Lock()
	defer s.mu.Unlock()
	action, st := decideAccept(s.switches, s.accepts, now)
	s.accepts = st
	return action
}

// beforeAccept applies countAttempt under the lock, and with emfile on
// takes any descriptor freed since (see topUp).
func (s *state) beforeAccept(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepts = countAttempt(s.switches, s.accepts, now)
	s.takeFreed()
}

// topUp takes, with emfile on, a descriptor that was freed (a served
// connection closed): the leak goes on, as the WebUI leaked a handle per
// request, so the app stays out of descriptors and no new connection
// slips through. The app calls it when a connection closes and before
// every accept.
func (s *state) topUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.takeFreed()
}

func (s *state) takeFreed() {
	if !s.switches.EMFile || s.exhausts == "" {
		return
	}
	for range 8 { // a few at most: connections close one at a time
		f, err := os.Open(s.exhausts)
		if err != nil {
			return
		}
		s.leaked = append(s.leaked, f)
	}
}

// swallow applies swallows under the lock.
func (s *state) swallow(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return swallows(s.switches, err)
}

// snapshot returns the switches, accept stats and leaked FD count.
func (s *state) snapshot() (switchState, acceptStats, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.switches, s.accepts, len(s.leaked)
}

// update replaces the switches with f(current) and returns the result.
func (s *state) update(f func(switchState) switchState) switchState {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.switches = f(s.switches)
	return s.switches
}

// leak opens n more read-only handles on path and keeps them. It returns
// the total held; on error (usually EMFILE) the ones opened so far are kept.
func (s *state) leak(path string, n int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		f, err := os.Open(path)
		if err != nil {
			return len(s.leaked), fmt.Errorf("open %s for the leak after %d handles: %w", path, len(s.leaked), err)
		}
		s.leaked = append(s.leaked, f)
	}
	return len(s.leaked), nil
}

// exhaust opens handles on path until the process runs out of descriptors
// (at most limit more) and keeps them, then turns emfile on (and topUp
// keeps it out of them). It returns
// the total held. An error other than running out, or limit handles without
// running out (a limit too high for one call), leaves emfile off.
func (s *state) exhaust(path string, limit int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range limit {
		f, err := os.Open(path)
		if outOfFDs(err) {
			s.switches, _ = s.switches.turnOn("emfile")
			s.exhausts = path
			return len(s.leaked), nil
		}
		if err != nil {
			return len(s.leaked), fmt.Errorf("open %s for the emfile leak after %d handles: %w", path, len(s.leaked), err)
		}
		s.leaked = append(s.leaked, f)
	}
	return len(s.leaked), fmt.Errorf("opened %d more handles on %s without running out of descriptors; "+
		"call again, or start the app with a lower --nofile", limit, path)
}

// releaseLeaked closes the leaked handles; Run calls it on the way out so
// that tests running many apps in one process do not run out of FDs.
func (s *state) releaseLeaked() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.leaked {
		_ = f.Close() // read-only handles: nothing to lose on close
	}
	s.leaked = nil
}
