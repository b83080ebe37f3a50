package managed

import (
	"strings"
	"testing"
)

func TestMetricsAddrOf(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want string
		ok   bool
	}{
		{"default", []string{"/usr/local/bin/hsup", "run", "--name=a", "--", "/bin/app"}, DefaultMetricsAddr, true},
		{"set", []string{"/opt/hsup", "run", "--metrics-addr=127.0.0.1:9470", "--", "/bin/app"}, "127.0.0.1:9470", true},
		{"two words", []string{"/opt/hsup", "run", "--metrics-addr", "0.0.0.0:9471", "--", "/bin/app"}, "0.0.0.0:9471", true},
		{"disabled", []string{"/opt/hsup", "run", "--metrics-addr=", "--", "/bin/app"}, "", true},
		{"the program's own flag", []string{"/opt/hsup", "run", "--", "/bin/app", "--metrics-addr=:1"}, DefaultMetricsAddr, true},
		{"not hsup", []string{"/usr/bin/python3", "run", "--metrics-addr=:1"}, "", false},
		{"not run", []string{"/opt/hsup", "demo"}, "", false},
		{"empty", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MetricsAddrOf(tt.argv)
			if got != tt.want || ok != tt.ok {
				t.Errorf("MetricsAddrOf(%q) = %q, %v; want %q, %v", tt.argv, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPickMetricsAddr(t *testing.T) {
	one := []Claim{{Addr: "127.0.0.1:9464", File: "/Library/LaunchDaemons/ai.one.plist"}}
	wild := []Claim{{Addr: "0.0.0.0:9464", File: "a"}, {Addr: ":9465", File: "b"}}
	busy := func(addrs ...string) func(string) bool {
		return func(a string) bool { return strings.Contains(strings.Join(addrs, " "), a) }
	}
	tests := []struct {
		name      string
		claims    []Claim
		busy      func(string) bool
		want      string
		movedFile string
		err       string
	}{
		{name: "free", want: "127.0.0.1:9464"},
		{name: "claimed", claims: one, want: "127.0.0.1:9465", movedFile: one[0].File},
		{name: "claimed on any host", claims: wild, want: "127.0.0.1:9466", movedFile: "a"},
		{name: "in use now", busy: busy("127.0.0.1:9464", "127.0.0.1:9465"), want: "127.0.0.1:9466"},
		{name: "claimed and busy", claims: one, busy: busy("127.0.0.1:9465"), want: "127.0.0.1:9466", movedFile: one[0].File},
		{name: "none free", busy: func(string) bool { return true }, err: "ports 9464-9563"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, moved, err := PickMetricsAddr(DefaultMetricsAddr, tt.claims, tt.busy)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || got != "" {
					t.Fatalf("PickMetricsAddr = %q, %v; want \"\" and an error with %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("PickMetricsAddr = %q, %v; want %q", got, err, tt.want)
			}
			if (moved == nil) != (tt.movedFile == "") || moved != nil && moved.File != tt.movedFile {
				t.Errorf("moved by %+v, want the claim of %q", moved, tt.movedFile)
			}
		})
	}
	if _, _, err := PickMetricsAddr("127.0.0.1:65535", []Claim{{Addr: "x:65535"}}, nil); err == nil || !strings.Contains(err.Error(), "65535-65535") {
		t.Errorf("at the top port: %v, want no free port and no overflow", err)
	}
	if _, _, err := PickMetricsAddr("9464", nil, nil); err == nil {
		t.Error("an address without a host:port was accepted")
	}
}

func TestClaimOn(t *testing.T) {
	claims := []Claim{{Addr: "127.0.0.1:9464", File: "a"}}
	if c := ClaimOn("0.0.0.0:9464", claims); c == nil || c.File != "a" {
		t.Errorf("ClaimOn(0.0.0.0:9464) = %v, want the claim of a", c)
	}
	if c := ClaimOn("127.0.0.1:9465", claims); c != nil {
		t.Errorf("ClaimOn(9465) = %v, want none", c)
	}
}
