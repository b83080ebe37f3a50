package managed

import (
	"fmt"
	"path"
	"time"
)

// StopMargin is how much longer than --stop-grace a service manager waits
// after its stop signal before it kills hsup: hsup needs the grace to stop
// its child's group, then a moment to exit itself.
const StopMargin = 5 * time.Second

// Command is `hsup run` as a service manager starts and stops it.
type Command struct {
	// Hsup is the absolute path of the hsup binary.
	Hsup string
	// RunArgs are the `hsup run` flags exactly as they will be passed
	// (e.g. "--nofile=4096"); they go between "run" and "--".
	RunArgs []string
	// Program is the absolute path of the supervised program; Args are
	// its arguments, passed through unchanged.
	Program string
	Args    []string
	// StopGrace is hsup's --stop-grace.
	StopGrace time.Duration
}

// Argv returns [Hsup, "run", RunArgs..., "--", Program, Args...]. Both
// paths must be absolute, because a service manager starts jobs in its own
// working directory with its own PATH; the error names the one that is not.
func (c Command) Argv() ([]string, error) {
	if c.Hsup == "" || !path.IsAbs(c.Hsup) {
		return nil, fmt.Errorf("hsup path %q: must be absolute; pass the absolute path of the hsup binary", c.Hsup)
	}
	if c.Program == "" || !path.IsAbs(c.Program) {
		return nil, fmt.Errorf("program %q: must be an absolute path; a service manager does not search PATH reliably, give the full path (e.g. from `command -v`)", c.Program)
	}
	argv := make([]string, 0, 4+len(c.RunArgs)+len(c.Args))
	argv = append(argv, c.Hsup, "run")
	argv = append(argv, c.RunArgs...)
	argv = append(argv, "--", c.Program)
	return append(argv, c.Args...), nil
}

// StopTimeout is how long the service manager must wait after its stop
// signal before it kills hsup: StopGrace + StopMargin.
func (c Command) StopTimeout() time.Duration {
	return c.StopGrace + StopMargin
}
