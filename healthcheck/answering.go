package healthcheck

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hsup/hsup/proctree"
)

const (
	answeringTimeout = time.Second
	nameTimeout      = 3 * time.Second
)

// Answering sends one cheap probe with a 1s timeout and reports whether
// anything answered HTTP at all (any status, even 404: something holds the
// port). The string is one line for an error log: the URL, what came back,
// and the pid(s) listening on the port.
func (m *Monitor) Answering(ctx context.Context) (bool, string) {
	if m.cfg.URL == "" {
		return false, "health probing is disabled (no health URL)"
	}
	o := m.probe(ctx, m.cfg.URL, answeringTimeout, "")
	what := fmt.Sprintf("%s: %s", m.cfg.URL, describe(o))
	// Naming the holder costs milliseconds (a /proc scan, lsof on macOS):
	// only when there is a holder to name.
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

// listeners names the processes listening on TCP port p (package
// proctree: /proc on Linux, lsof on macOS), bounded in time. It never
// fails: problems are described in the returned text.
func listeners(ctx context.Context, p string) string {
	n, err := strconv.Atoi(p)
	if err != nil {
		return fmt.Sprintf("(port %q is not a number)", p)
	}
	ctx, cancel := context.WithTimeout(ctx, nameTimeout)
	defer cancel()
	pids, unseen, err := proctree.Listeners(ctx, n)
	var held []string
	for _, pid := range pids {
		proc, _ := proctree.Identify(pid)
		held = append(held, fmt.Sprintf("%d (%s)", pid, proc.Comm))
	}
	switch {
	case err != nil:
		return fmt.Sprintf("(cannot name the listening process: %v)", err)
	case len(held) > 0:
		return "is held by pid " + strings.Join(held, ", ")
	case unseen:
		return "is held by a process of another user that hsup cannot inspect"
	default:
		return "has no listener that hsup can see"
	}
}
