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
	evHealthy  event = iota // first ok probe
	evDegraded              // a monitor judged the child degraded
	evCaptured              // the diagnostics bundle is done
	evExited                // the child exited
	evTimer                 // stop grace or backoff elapsed (meaning follows the state)
	evShutdown              // stop for good (SIGTERM/SIGINT or ctx done)
)

// action is what the loop must do after a transition.
type action int

const (
	doNothing action = iota
	doCapture        // write a diagnostics bundle, then evCaptured
	doStop           // stop signal + SIGCONT to the group, arm the grace timer
	doKill           // SIGKILL the group
	doBackoff        // arm the backoff timer
	doStart          // start a new child
	doExit           // stop for good: Run returns the child's status
)

// facts are the values, decided elsewhere, that a transition depends on.
type facts struct {
	restart bool // the restart policy says the child should come back after this exit
	capture bool // a capturer is configured
}

// next is the state machine: a pure function of the current state, the event
// and the facts the loop computed for it. Events that make no sense in a
// state (a late verdict while stopping) leave it unchanged.
func next(s State, e event, f facts) (State, action) {
	if s == Stopped {
		return Stopped, doNothing
	}
	switch e {
	case evHealthy:
		if s == Starting {
			return Running, doNothing
		}
	case evDegraded:
		if s == Starting || s == Running {
			if f.capture {
				return Capturing, doCapture
			}
			return Stopping, doStop
		}
	case evCaptured:
		if s == Capturing {
			return Stopping, doStop
		}
	case evExited:
		return afterExit(s, f)
	case evTimer:
		switch s {
		case Stopping:
			return Stopping, doKill
		case Backoff:
			return Starting, doStart
		}
	case evShutdown:
		switch s {
		case Starting, Running, Capturing:
			return Stopping, doStop
		case Backoff:
			return Stopped, doExit
		}
	}
	return s, doNothing
}

func afterExit(s State, f facts) (State, action) {
	if s == Backoff {
		return s, doNothing // no child in backoff; a stale exit
	}
	if f.restart {
		return Backoff, doBackoff
	}
	return Stopped, doExit
}
