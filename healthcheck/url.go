package healthcheck

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

const urlExample = "http://127.0.0.1:8787/health"

// ValidateURL accepts an absolute http or https URL with a host (and a
// port in 1-65535 when one is given). The error says what is wrong and
// shows the expected form.
func ValidateURL(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("health URL is empty: give a URL like %s", urlExample)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("health URL %q is malformed (%w): give a URL like %s", s, err, urlExample)
	}
	switch {
	case u.Scheme == "":
		return fmt.Errorf("health URL %q has no scheme: start it with http://, like %s", s, urlExample)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("health URL %q has scheme %q: only http and https are probed; did you mean http://%s?",
			s, u.Scheme, s)
	case u.Opaque != "" || u.Host == "":
		return fmt.Errorf("health URL %q has no host: write it like %s", s, urlExample)
	case u.Hostname() == "":
		return fmt.Errorf("health URL %q has a port but no host: write it like %s", s, urlExample)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("health URL %q has port %q: use a port between 1 and 65535", s, p)
		}
	}
	return nil
}

// DeepURL returns healthURL with deep=1 in its query. The rest of the URL,
// including the order of existing parameters, is kept; an existing deep
// parameter is replaced.
func DeepURL(healthURL string) (string, error) {
	if err := ValidateURL(healthURL); err != nil {
		return "", fmt.Errorf("derive the deep probe URL: %w", err)
	}
	u, err := url.Parse(healthURL)
	if err != nil {
		return "", fmt.Errorf("derive the deep probe URL from %q: %w", healthURL, err)
	}
	q := u.Query()
	switch {
	case q.Has("deep"):
		q.Set("deep", "1")
		u.RawQuery = q.Encode()
	case u.RawQuery == "":
		u.RawQuery = "deep=1"
	default:
		u.RawQuery += "&deep=1"
	}
	u.ForceQuery = false
	return u.String(), nil
}

// port returns the URL's TCP port, defaulting by scheme.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// LocalPort returns the TCP port of rawURL and whether its host is this
// machine: localhost, a loopback or unspecified address, or an address of
// one of its interfaces. Only then can the listener be looked up locally.
func LocalPort(rawURL string) (int, bool, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, false, fmt.Errorf("parse %q: %w", rawURL, err)
	}
	p, err := strconv.Atoi(port(u))
	if err != nil {
		return 0, false, fmt.Errorf("port of %q: %w", rawURL, err)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return p, true, nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return p, false, nil // a name: resolving it is not this check's business
	}
	if ip.IsLoopback() || ip.IsUnspecified() {
		return p, true, nil
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return p, false, fmt.Errorf("list this machine's addresses: %w", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return p, true, nil
		}
	}
	return p, false, nil
}
