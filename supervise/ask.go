package supervise

import (
	"context"
	"errors"
	"fmt"
)

// Request is what an operator asks of the supervisor (Ask).
type Request int

// Requests.
const (
	// RequestCapture: a diagnostics bundle now; the child keeps running.
	RequestCapture Request = iota
	// RequestRestart: a bundle, then a restart, as for a degraded child,
	// with reason ReasonManual. The child comes back whatever --restart says.
	RequestRestart
)

func (r Request) String() string { return [...]string{"capture", "restart"}[r] }

// ErrNoChild: there is no running child to act on (backoff, stopping).
var ErrNoChild = errors.New("no child is running")

// ErrBusy: a capture or a restart is already under way.
var ErrBusy = errors.New("a capture or restart is already under way")

type ask struct {
	r     Request
	ctx   context.Context // the asker's: once it is done, nobody waits for the answer
	reply chan error
}

// Ask hands r to the loop and returns once the loop has acted on it: nil
// when the capture (and for RequestRestart the stop that follows it) has
// begun, else why not (ErrNoChild, ErrBusy, or captures being off for a
// RequestCapture). The outcome follows as events (CaptureFinished,
// ChildExited, ...). Safe from any goroutine.
func (s *Supervisor) Ask(ctx context.Context, r Request) error {
	q := ask{r: r, ctx: ctx, reply: make(chan error, 1)}
	select {
	case s.asks <- q:
	case <-s.quit:
		return errors.New("supervisor stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-q.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// answer acts on one request, on the loop. A request whose asker gave up
// (its deadline passed while hsup was paused, say) is not acted on: the
// operator was told it failed, and may ask again.
func (s *Supervisor) answer(q ask) error {
	if err := q.ctx.Err(); err != nil {
		return err
	}
	r := q.r
	if s.child == nil || (s.st.State != Starting && s.st.State != Running) {
		if s.st.State == Capturing {
			return ErrBusy
		}
		return fmt.Errorf("%w (state %s)", ErrNoChild, s.st.State)
	}
	if s.capt != nil {
		return ErrBusy
	}
	switch r {
	case RequestRestart:
		s.degraded(Report{Verdict: VerdictDegraded, Reason: ReasonManual, Detail: "an operator asked for a restart (hsup restart)"})
	case RequestCapture:
		if s.cfg.Capture == nil {
			return errors.New("captures are off: the diagnostics directory was not usable at start-up")
		}
		s.warn(Report{Verdict: VerdictWarn, Reason: ReasonManual, Detail: "an operator asked for a bundle (hsup capture)"})
	}
	return nil
}
