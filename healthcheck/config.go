package healthcheck

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config holds every probe and policy setting for one Monitor. Field
// names match hsup's flags (--health-interval is Interval, and so on).
type Config struct {
	URL      string        // cheap probe URL; "" disables all probing
	Interval time.Duration // between cheap probe starts
	Timeout  time.Duration // one cheap probe: connect + headers + body
	Failures int           // consecutive failed cheap probes => degraded "health"

	DeepURL      string // "" disables the deep probe
	DeepInterval time.Duration
	DeepTimeout  time.Duration
	DeepFailures int // consecutive failed deep probes => degraded "deep"

	HeartbeatField string        // dotted JSON path of the accept counter; "" disables
	HeartbeatStale time.Duration // no advance for this long => degraded "heartbeat"

	BusyFailures int           // consecutive busy answers => degraded "busy"
	StartupGrace time.Duration // no ok cheap probe within this => degraded "startup"
}

// DefaultConfig returns hsup's defaults for the Hermes WebUI on port 8787.
func DefaultConfig() Config {
	const health = "http://127.0.0.1:8787/health"
	deep, _ := DeepURL(health) // cannot fail for the constant above
	return Config{
		URL: health, Interval: 5 * time.Second, Timeout: 2 * time.Second, Failures: 3,
		DeepURL: deep, DeepInterval: 60 * time.Second, DeepTimeout: 10 * time.Second, DeepFailures: 2,
		HeartbeatField: "accept_loop.requests_total", HeartbeatStale: 30 * time.Second,
		BusyFailures: 12,
		StartupGrace: 60 * time.Second,
	}
}

// Validate checks every setting that is in use and returns all problems
// joined, each naming the flag to fix. An empty URL (probing disabled)
// is valid and makes every other field irrelevant. It is the only check of
// these values: hsup's CLI refuses the flags with it, printing the first
// problem, so each problem is one line.
func (c Config) Validate() error {
	if c.URL == "" {
		return nil
	}
	errs := []error{
		wrapURL("--health-url", ValidateURL(c.URL)),
		positive("--health-interval", c.Interval),
		positive("--health-timeout", c.Timeout),
		atLeastOne("--health-failures", c.Failures),
		atLeastOne("--busy-failures", c.BusyFailures),
		positive("--startup-grace", c.StartupGrace),
	}
	if c.DeepURL != "" {
		errs = append(errs,
			wrapURL("--deep-url", ValidateURL(c.DeepURL)),
			positive("--deep-interval", c.DeepInterval),
			positive("--deep-timeout", c.DeepTimeout),
			atLeastOne("--deep-failures", c.DeepFailures))
	}
	if c.HeartbeatField != "" {
		errs = append(errs, c.validateHeartbeat())
	}
	return errors.Join(errs...)
}

func (c Config) validateHeartbeat() error {
	for _, part := range strings.Split(c.HeartbeatField, ".") {
		if part == "" {
			return fmt.Errorf("--heartbeat-field %q has an empty path segment: use a dotted path like accept_loop.requests_total",
				c.HeartbeatField)
		}
	}
	// Probes are sequential, so successful probes can be up to
	// Interval+Timeout apart; a shorter staleness would flap.
	if gap := c.Interval + c.Timeout; c.HeartbeatStale <= gap {
		return fmt.Errorf("--heartbeat-stale %s must be longer than --health-interval + --health-timeout (%s), or a healthy app looks stale between probes",
			c.HeartbeatStale, gap)
	}
	return nil
}

func wrapURL(flag string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", flag, err)
}

func positive(flag string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s is %s: give a positive duration such as 5s", flag, d)
	}
	return nil
}

func atLeastOne(flag string, n int) error {
	if n < 1 {
		return fmt.Errorf("%s is %d: give a count of at least 1", flag, n)
	}
	return nil
}
