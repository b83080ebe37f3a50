package healthcheck

import (
	"net"
	"strings"
	"testing"
)

func TestValidateURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		wantErr string // substring; "" means valid
	}{
		{name: "default", url: "http://127.0.0.1:8787/health"},
		{name: "https no port", url: "https://example.com/health?x=1"},
		{name: "ipv6", url: "http://[::1]:8787/health"},
		{name: "empty", url: "", wantErr: "empty"},
		{name: "blank", url: "  ", wantErr: "empty"},
		{name: "no scheme host:port", url: "localhost:8787/health",
			wantErr: `health URL "localhost:8787/health" has no scheme: did you mean http://localhost:8787/health?`},
		{name: "no scheme ip:port", url: "127.0.0.1:8787/health",
			wantErr: `health URL "127.0.0.1:8787/health" has no scheme: did you mean http://127.0.0.1:8787/health?`},
		{name: "no scheme ip:port, no path", url: "127.0.0.1:8787", wantErr: "did you mean http://127.0.0.1:8787?"},
		{name: "no scheme ipv6", url: "[::1]:8787/health", wantErr: "did you mean http://[::1]:8787/health?"},
		{name: "no scheme host", url: "example.com/health", wantErr: "did you mean http://example.com/health?"},
		{name: "no scheme, bad port: no guess", url: "127.0.0.1:99999/health", wantErr: "malformed"},
		{name: "no scheme path", url: "/health", wantErr: "no scheme: start it with http://"},
		{name: "ftp", url: "ftp://127.0.0.1/health", wantErr: "only http and https"},
		{name: "no host", url: "http:///health", wantErr: "no host"},
		{name: "opaque", url: "http:health", wantErr: "no host"},
		{name: "port only", url: "http://:8787/health", wantErr: "port but no host"},
		{name: "port zero", url: "http://127.0.0.1:0/health", wantErr: "between 1 and 65535"},
		{name: "port too big", url: "http://127.0.0.1:70000/health", wantErr: "between 1 and 65535"},
		{name: "port not a number", url: "http://127.0.0.1:http/health", wantErr: "malformed"},
		{name: "space in host", url: "http://local host/health", wantErr: "malformed"},
		{name: "control char", url: "http://127.0.0.1/\x7f", wantErr: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateURL(tt.url)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ValidateURL(%q) = %v, want nil", tt.url, err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("ValidateURL(%q) = nil, want error containing %q", tt.url, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("ValidateURL(%q) = %q, want it to contain %q", tt.url, err, tt.wantErr)
			}
		})
	}
}

func TestDeepURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		want    string
		wantErr bool
	}{
		{name: "plain", url: "http://127.0.0.1:8787/health", want: "http://127.0.0.1:8787/health?deep=1"},
		{name: "keeps query order", url: "http://h/health?z=1&a=2", want: "http://h/health?z=1&a=2&deep=1"},
		{name: "replaces deep", url: "http://h/health?deep=0", want: "http://h/health?deep=1"},
		{name: "empty query marker", url: "http://h/health?", want: "http://h/health?deep=1"},
		{name: "keeps fragment", url: "https://h:1/health#x", want: "https://h:1/health?deep=1#x"},
		{name: "empty", url: "", wantErr: true},
		{name: "malformed", url: "http://[::1/health", wantErr: true},
		{name: "no scheme", url: "127.0.0.1:8787/health", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DeepURL(tt.url)
			if (err != nil) != tt.wantErr {
				t.Fatalf("DeepURL(%q) error = %v, wantErr %v", tt.url, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("DeepURL(%q) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}

func TestLocalPort(t *testing.T) {
	tests := []struct {
		url   string
		port  int
		local bool
	}{
		{url: "http://127.0.0.1:8787/health", port: 8787, local: true},
		{url: "http://localhost/health", port: 80, local: true},
		{url: "https://[::1]/health", port: 443, local: true},
		{url: "http://0.0.0.0:9000/", port: 9000, local: true},
		{url: "http://192.0.2.1:8787/health", port: 8787, local: false}, // TEST-NET-1: never a local address
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			p, local, err := LocalPort(tt.url)
			if err != nil || p != tt.port || local != tt.local {
				t.Fatalf("LocalPort = %d, %v, %v; want %d, %v", p, local, err, tt.port, tt.local)
			}
		})
	}
}

func TestAnyLocal(t *testing.T) {
	tests := []struct {
		ips  []string
		want bool
	}{
		{ips: []string{"192.0.2.7", "127.0.0.1"}, want: true}, // a name with a loopback address among others
		{ips: []string{"::1"}, want: true},
		{ips: []string{"192.0.2.7"}, want: false}, // TEST-NET-1: never this machine's
		{ips: nil, want: false},
	}
	for _, tt := range tests {
		var ips []net.IP
		for _, s := range tt.ips {
			ips = append(ips, net.ParseIP(s))
		}
		if got, err := anyLocal(ips); err != nil || got != tt.want {
			t.Errorf("anyLocal(%v) = %v, %v; want %v", tt.ips, got, err, tt.want)
		}
	}
}
