package hooks

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Results of one run, the result label of hsup_hook_runs_total.
const (
	ResultOK      = "ok"      // exited 0
	ResultFailed  = "failed"  // exited non-zero or was killed by a signal it did not get from hsup
	ResultTimeout = "timeout" // ran past Options.Timeout (or hsup's exit wait): its group was killed
	ResultDropped = "dropped" // never ran: its program's queue was full, or hsup exited first
	ResultError   = "error"   // could not be started (the program went away, ...)
)

// Results are the results of a run, for the metric's labels.
func Results() []string {
	return []string{ResultOK, ResultFailed, ResultTimeout, ResultDropped, ResultError}
}

// Defaults of Options.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultQueue    = 16
	DefaultExitWait = 5 * time.Second
)

// Options configure a Runner.
type Options struct {
	Programs []string      // absolute paths (Resolve); each runs for every event
	Timeout  time.Duration // bound on one run, then its process group is killed; 0 = DefaultTimeout
	Env      []string      // every run's environment before Event.Env adds the event (see Environ)
	Queue    int           // events waiting per program, more are dropped; 0 = DefaultQueue
	// ExitWait bounds, once Run's context is done, the runs still queued
	// or in flight; then they are killed or dropped. 0 = DefaultExitWait.
	ExitWait time.Duration
	Log      *zap.Logger
	// Counted is called once per run and per dropped event with the
	// event's name and the result; it must not block (a counter).
	Counted func(event, result string)
}

// Runner runs the hook programs for each event it is given, off the
// caller's goroutine: each program has its own bounded queue and its own
// goroutine, so a hook that hangs delays only its own later events, and
// events reach each program in order.
type Runner struct {
	opts     Options
	programs []*program
}

type program struct {
	path    string
	queue   chan Event
	dropped atomic.Int64 // since the last line that said so
}

// New returns a Runner; it runs nothing until Run.
func New(o Options) *Runner {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.ExitWait <= 0 {
		o.ExitWait = DefaultExitWait
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	r := &Runner{opts: o}
	for _, path := range o.Programs {
		r.programs = append(r.programs, &program{path: path, queue: make(chan Event, o.Queue)})
	}
	return r
}

// Enqueue hands e to every program's queue and returns at once; where a
// queue is full, e is dropped for that program and counted (the line that
// says so comes from the program's goroutine). Safe from any goroutine,
// and the supervisor's loop calls it.
func (r *Runner) Enqueue(e Event) {
	for _, p := range r.programs {
		select {
		case p.queue <- e:
		default:
			p.dropped.Add(1)
			r.count(e.Event, ResultDropped)
		}
	}
}

// Run runs what is queued until ctx is done. Then what is queued and in
// flight gets Options.ExitWait (a gave_up hook runs as hsup exits); past
// it, runs are killed and what is left is dropped. It returns nil once
// every program's goroutine has ended.
func (r *Runner) Run(ctx context.Context) error {
	kill, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	for _, p := range r.programs {
		wg.Go(func() { r.serve(ctx, kill, p) })
	}
	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }() // ends with the programs' goroutines, waited for below
	t := time.NewTimer(r.opts.ExitWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		r.opts.Log.Warn("hooks still running as hsup exits; killing them", zap.Duration("waited", r.opts.ExitWait))
		stop()
		<-done // killed runs end within waitDelay
	}
	return nil
}

// serve runs p's events in order until ctx is done, then what is left.
func (r *Runner) serve(ctx, kill context.Context, p *program) {
	for {
		select {
		case e := <-p.queue:
			r.run(kill, p, e)
		case <-ctx.Done():
			for {
				select {
				case e := <-p.queue:
					r.run(kill, p, e)
				default:
					r.sayDropped(p)
					return
				}
			}
		}
	}
}

// run runs p once for e, bounded by the Timeout and by kill.
func (r *Runner) run(kill context.Context, p *program, e Event) {
	if kill.Err() != nil { // hsup's exit wait is over
		p.dropped.Add(1)
		r.count(e.Event, ResultDropped)
		return
	}
	ctx, cancel := context.WithTimeout(kill, r.opts.Timeout)
	defer cancel()
	start := time.Now()
	out, err := execute(ctx, p.path, e.Payload(), e.Env(r.opts.Env))
	took := time.Since(start)
	res := classify(err, ctx.Err())
	fields := []zap.Field{zap.String("event", e.Event), zap.String("program", p.path), zap.Duration("took", took)}
	if res == ResultOK {
		r.opts.Log.Info("hook ran", fields...)
	} else {
		fields = append(fields, zap.String("result", res), zap.Error(err), zap.String("output", strings.TrimSpace(string(out))))
		if res == ResultTimeout {
			fields = append(fields, zap.Duration("timeout", r.opts.Timeout))
		}
		r.opts.Log.Warn("hook "+res+": "+failure(res), fields...)
	}
	r.count(e.Event, res)
	r.sayDropped(p)
}

// classify is a run's result from its error and its context's: a run
// that exited 0 is ok even if its bound expired just after.
func classify(err, ctxErr error) string {
	var ee *exec.ExitError
	switch {
	case err == nil, errors.Is(err, exec.ErrWaitDelay): // exited 0; something it left held the output
		return ResultOK
	case ctxErr != nil:
		return ResultTimeout
	case errors.As(err, &ee):
		return ResultFailed
	}
	return ResultError
}

func failure(res string) string {
	switch res {
	case ResultTimeout:
		return "it ran past --on-event-timeout and its process group was killed"
	case ResultFailed:
		return "it exited with an error"
	}
	return "it could not be run"
}

func (r *Runner) sayDropped(p *program) {
	if n := p.dropped.Swap(0); n > 0 {
		r.opts.Log.Warn("hook events dropped: the program's queue was full or hsup was exiting",
			zap.String("program", p.path), zap.Int64("dropped", n), zap.Int("queue", r.opts.Queue))
	}
}

func (r *Runner) count(event, result string) {
	if r.opts.Counted != nil {
		r.opts.Counted(event, result)
	}
}
