package managed

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
)

// DefaultMetricsAddr is hsup's --metrics-addr default.
const DefaultMetricsAddr = "127.0.0.1:9464"

// portSearch is how many ports from the wanted one PickMetricsAddr tries.
const portSearch = 100

// Claim is a metrics address another installed service uses, and where
// that service is defined (its unit or plist file).
type Claim struct {
	Addr, File string
}

// MetricsAddrOf is the metrics address an `hsup run` argv (a unit's
// ExecStart, a plist's ProgramArguments) listens on: its --metrics-addr
// before "--", else DefaultMetricsAddr; "" when metrics are disabled. ok
// is false when argv is not hsup's run command.
func MetricsAddrOf(argv []string) (addr string, ok bool) {
	if len(argv) < 2 || !strings.HasPrefix(path.Base(argv[0]), "hsup") || argv[1] != "run" {
		return "", false
	}
	addr = DefaultMetricsAddr
	for i := 2; i < len(argv) && argv[i] != "--"; i++ {
		if v, found := strings.CutPrefix(argv[i], "--metrics-addr="); found {
			addr = v
		} else if argv[i] == "--metrics-addr" && i+1 < len(argv) {
			addr = argv[i+1]
		}
	}
	return addr, true
}

// PickMetricsAddr is the metrics address for a new service that wants
// want: want itself unless another installed service claims its port (on
// any host: 0.0.0.0 collides with 127.0.0.1) or busy says it is in use now,
// else the next port up on the same host that is free, trying 100. It
// returns "" (metrics disabled) with the reason when none is free, and
// the claim that moved it off want, if any.
func PickMetricsAddr(want string, claims []Claim, busy func(addr string) bool) (addr string, moved *Claim, err error) {
	host, portText, err := net.SplitHostPort(want)
	if err != nil {
		return "", nil, fmt.Errorf("metrics address %q: %w", want, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return "", nil, fmt.Errorf("metrics address %q: port must be 1-65535", want)
	}
	for p := port; p < port+portSearch && p <= 65535; p++ {
		a := net.JoinHostPort(host, strconv.Itoa(p))
		if c := claimOf(p, claims); c != nil {
			if moved == nil {
				moved = c
			}
			continue
		}
		if busy != nil && busy(a) {
			continue
		}
		return a, moved, nil
	}
	return "", moved, fmt.Errorf("ports %d-%d are all claimed by other services or in use", port, min(port+portSearch-1, 65535))
}

// claimOf is the claim on port, nil when none.
func claimOf(port int, claims []Claim) *Claim {
	for i, c := range claims {
		if _, p, err := net.SplitHostPort(c.Addr); err == nil && p == strconv.Itoa(port) {
			return &claims[i]
		}
	}
	return nil
}

// ClaimOn is the claim on addr's port, nil when none (or addr has none).
func ClaimOn(addr string, claims []Claim) *Claim {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return nil
	}
	return claimOf(port, claims)
}
