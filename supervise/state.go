package supervise

// State is where the current child is in its life.
type State int

// The states of a child. Stopped is final: Run returns.
const (
	Starting State = iota
	Running
	Capturing
	Stopping
	Backoff
	Stopped
)

// States lists every State, in order, for label sets (metrics).
func States() []State { return []State{Starting, Running, Capturing, Stopping, Backoff, Stopped} }

func (s State) String() string {
	switch s {
	case Starting:
		return "starting"
	case Running:
		return "running"
	case Capturing:
		return "capturing"
	case Stopping:
		return "stopping"
	case Backoff:
		return "backoff"
	case Stopped:
		return "stopped"
	}
	return "unknown"
}

// event is what the loop feeds the state machine.
type event int

const (
	evLaunched    event = iota // a child process exists
	evStartFailed              // the program could not be started
	evHealthy                  // first ok probe
	evDegraded                 // a monitor judged the child degraded: capture, then restart
	evWarn                     // a monitor asks for a bundle only (FD pressure warning)
	evCaptured                 // a capture finished
	evExited                   // the child exited
	evTimer                    // the loop's one timer: capture bound, stop grace or backoff (meaning follows the state)
	evShutdown                 // stop for good (SIGTERM/SIGINT or ctx done)
)

var eventNames = [...]string{"launched", "start failed", "healthy", "degraded", "warn", "captured", "exited", "timer", "shutdown"}

func (e event) String() string { return eventNames[e] }

// action is what the loop must do after a transition.
type action int

const (
	doNothing  action = iota
	doStart           // start a child, off the loop; then evLaunched or evStartFailed
	doWatch           // start the new child's monitors
	doCapture         // capture the restart bundle, off the loop, bounded by the timer; then evCaptured
	doWarnCapt        // capture a bundle without a restart
	doAbandon         // a capture overran the loop's bound: stop waiting for it (and stop the child, from Capturing)
	doStop            // stop signal + SIGCONT to the group, arm the grace timer
	doKill            // SIGKILL the group
	doBackoff         // apply the backoff step and arm its timer
	doExit            // stop for good: Run returns the child's status
)

var actionNames = [...]string{"nothing", "start", "watch", "capture", "warn capture", "abandon", "stop", "kill", "backoff", "exit"}

func (a action) String() string { return actionNames[a] }

// facts are the values, decided elsewhere, that a transition depends on.
type facts struct {
	launching  bool // a child is being started (exec, off the loop)
	capture    bool // a capturer is configured
	capturing  bool // a capture is in flight
	restartCap bool // with evCaptured: the capture that finished was the restart's
	restart    bool // with evExited/evStartFailed: the restart policy says the child comes back
	giveUp     bool // with evExited/evStartFailed: the crash-loop policy says stop trying
	shutdown   bool // hsup has been told to stop for good
}

// next is the state machine, the whole of it: a pure function of the
// current state, the event and the facts the loop computed for it. Events
// that make no sense in a state (a late verdict while stopping) leave it
// unchanged and do nothing. Starting a child is asynchronous: the state
// stays Backoff until the process exists (evLaunched), so "starting"
// always has a pid.
func next(s State, e event, f facts) (State, action) {
	switch s {
	case Starting, Running:
		return live(s, e, f)
	case Capturing:
		return capturing(e, f)
	case Stopping:
		return stopping(e, f)
	case Backoff:
		return backoff(e, f)
	}
	return s, doNothing // Stopped is final
}

// live covers a child that is starting or running.
func live(s State, e event, f facts) (State, action) {
	switch e {
	case evHealthy:
		return Running, doNothing
	case evDegraded:
		switch {
		case !f.capture:
			return Stopping, doStop
		case f.capturing: // a warning capture is in flight: the restart's follows it
			return Capturing, doNothing
		}
		return Capturing, doCapture
	case evWarn:
		if f.capture && !f.capturing {
			return s, doWarnCapt
		}
	case evTimer:
		if f.capturing {
			return s, doAbandon
		}
	case evExited:
		return afterExit(f)
	case evShutdown:
		return Stopping, doStop
	}
	return s, doNothing
}

func capturing(e event, f facts) (State, action) {
	switch e {
	case evCaptured:
		if f.restartCap {
			return Stopping, doStop
		}
		return Capturing, doCapture // the warning capture is done; the restart's may run
	case evTimer: // the capture overran its bound: abandon it and stop
		return Stopping, doAbandon
	case evExited:
		return afterExit(f)
	case evShutdown:
		return Stopping, doStop
	}
	return Capturing, doNothing
}

func stopping(e event, f facts) (State, action) {
	switch e {
	case evTimer:
		return Stopping, doKill
	case evExited:
		return afterExit(f)
	}
	return Stopping, doNothing
}

// backoff covers the wait between children and the start of the next one.
func backoff(e event, f facts) (State, action) {
	switch e {
	case evTimer:
		return Backoff, doStart
	case evLaunched:
		switch {
		case f.shutdown: // told to stop while the child was being started
			return Stopping, doStop
		}
		return Starting, doWatch
	case evStartFailed:
		if f.restart && !f.giveUp {
			return Backoff, doBackoff
		}
		return Stopped, doExit
	case evShutdown:
		if f.launching { // the start's outcome decides: evLaunched stops the child, evStartFailed exits
			break
		}
		return Stopped, doExit
	}
	return Backoff, doNothing
}

func afterExit(f facts) (State, action) {
	if f.restart && !f.giveUp {
		return Backoff, doBackoff
	}
	return Stopped, doExit
}
