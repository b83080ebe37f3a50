package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"github.com/hsup/hsup/reaper"
)

const (
	answeringTimeout = time.Second
	lsofTimeout      = 3 * time.Second
)

// Answering sends one cheap probe with a 1s timeout and reports whether
// anything answered HTTP at all (any status, even 404: something holds the
// port). The string is one line for an error log: the URL, what came back,
// and, when lsof is on PATH, the pid(s) listening on the port.
func (m *Monitor) Answering(ctx context.Context) (bool, string) {
	if m.cfg.URL == "" {
		return false, "health probing is disabled (no health URL)"
	}
	o := m.probe(ctx, m.cfg.URL, answeringTimeout, "")
	what := fmt.Sprintf("%s: %s", m.cfg.URL, describe(o))
	// lsof costs tens of milliseconds: run it only when there is a holder
	// to name, never on the restart path of a free port.
	if o.Status == 0 {
		return false, what
	}
	u, err := url.Parse(m.cfg.URL)
	if err != nil {
		return true, what
	}
	p := port(u)
	return true, fmt.Sprintf("%s; port %s %s", what, p, listeners(ctx, p))
}

// listeners names the processes listening on TCP port p, via lsof, bounded
// in time. It never fails: problems are described in the returned text.
func listeners(ctx context.Context, p string) string {
	path, err := exec.LookPath("lsof")
	if err != nil {
		return "(lsof not on PATH: cannot name the listening process)"
	}
	ctx, cancel := context.WithTimeout(ctx, lsofTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-nP", "-t", "-iTCP:"+p, "-sTCP:LISTEN")
	cmd.WaitDelay = time.Second
	out, err := reaper.Output(cmd)
	pids := strings.Fields(string(out))
	switch {
	case len(pids) > 0:
		return "is held by pid " + strings.Join(pids, ", ")
	case ctx.Err() != nil:
		return fmt.Sprintf("(lsof did not finish within %s)", lsofTimeout)
	case err != nil && !isExitCode(err, 1):
		return fmt.Sprintf("(lsof failed: %v)", err)
	default:
		return "has no listener that lsof can see"
	}
}

// isExitCode reports an *exec.ExitError with the given code; lsof exits 1
// when it finds nothing.
func isExitCode(err error, code int) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == code
}
