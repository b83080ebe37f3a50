package healthcheck

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	want := Config{
		URL: "http://127.0.0.1:8787/health", Interval: 5 * time.Second, Timeout: 2 * time.Second, Failures: 3,
		DeepURL: "http://127.0.0.1:8787/health?deep=1", DeepInterval: time.Minute, DeepTimeout: 10 * time.Second,
		DeepFailures: 2, HeartbeatField: "accept_loop.requests_total", HeartbeatStale: 30 * time.Second,
		BusyFailures: 12, StartupGrace: time.Minute,
	}
	if c != want {
		t.Errorf("DefaultConfig() = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr []string // substrings; none means valid
	}{
		{name: "defaults", edit: func(*Config) {}},
		{name: "probing disabled", edit: func(c *Config) { *c = Config{} }},
		{name: "deep disabled ignores deep fields", edit: func(c *Config) { c.DeepURL, c.DeepInterval, c.DeepFailures = "", 0, 0 }},
		{name: "heartbeat disabled ignores stale", edit: func(c *Config) { c.HeartbeatField, c.HeartbeatStale = "", 0 }},
		{name: "bad URL", edit: func(c *Config) { c.URL = "localhost:8787/health" }, wantErr: []string{"--health-url", "did you mean http://"}},
		{name: "bad deep URL", edit: func(c *Config) { c.DeepURL = "ftp://x/" }, wantErr: []string{"--deep-url"}},
		{name: "zero interval", edit: func(c *Config) { c.Interval = 0 }, wantErr: []string{"--health-interval is 0s"}},
		{name: "negative timeout", edit: func(c *Config) { c.Timeout = -time.Second }, wantErr: []string{"--health-timeout"}},
		{name: "zero failures", edit: func(c *Config) { c.Failures = 0 }, wantErr: []string{"--health-failures is 0"}},
		{name: "zero busy", edit: func(c *Config) { c.BusyFailures = 0 }, wantErr: []string{"--busy-failures"}},
		{name: "zero grace", edit: func(c *Config) { c.StartupGrace = 0 }, wantErr: []string{"--startup-grace"}},
		{name: "deep zero everything", edit: func(c *Config) { c.DeepInterval, c.DeepTimeout, c.DeepFailures = 0, 0, 0 },
			wantErr: []string{"--deep-interval", "--deep-timeout", "--deep-failures"}},
		{name: "empty path segment", edit: func(c *Config) { c.HeartbeatField = "accept_loop..requests_total" },
			wantErr: []string{"--heartbeat-field", "empty path segment"}},
		{name: "stale shorter than a probe gap", edit: func(c *Config) { c.HeartbeatStale = 7 * time.Second },
			wantErr: []string{"--heartbeat-stale 7s must be longer than", "(7s)"}},
		{name: "several problems at once", edit: func(c *Config) { c.Interval, c.Failures = 0, 0 },
			wantErr: []string{"--health-interval", "--health-failures"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			err := c.Validate()
			assertOneLineEach(t, err)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// assertOneLineEach: the CLI prints the first joined problem as its one
// line of refusal, so no problem may span lines.
func assertOneLineEach(t *testing.T, err error) {
	t.Helper()
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return
	}
	for _, e := range joined.Unwrap() {
		if strings.Contains(e.Error(), "\n") {
			t.Errorf("problem is not one line: %q", e)
		}
	}
}
