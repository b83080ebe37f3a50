package healthcheck

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const urlExample = "http://127.0.0.1:8787/health"

// ValidateURL accepts an absolute http or https URL with a host (and a
// port in 1-65535 when one is given). The error says what is wrong and
// shows the expected form.
func ValidateURL(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("health URL is empty: give a URL like %s", urlExample)
	}
	if meant, ok := withScheme(s); ok {
		// 127.0.0.1:8787/health does not parse, localhost:8787/health
		// parses with the scheme "localhost": one hint for both.
		return fmt.Errorf("health URL %q has no scheme: did you mean %s?", s, meant)
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

// withScheme is s with http:// in front, when s has no "://" and that
// makes a valid URL with a host: what someone who wrote host:port/path
// meant.
func withScheme(s string) (string, bool) {
	if strings.Contains(s, "://") {
		return "", false
	}
	meant := "http://" + s
	u, err := url.Parse(meant)
	if err != nil || u.Hostname() == "" || ValidateURL(meant) != nil {
		return "", false
	}
	return meant, true
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
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil { // a name: local when any address it resolves to is
		ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return p, false, fmt.Errorf("resolve %q: %w", host, err)
		}
		ips = ips[:0]
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	local, err := anyLocal(ips)
	return p, local, err
}

// resolveTimeout bounds the one lookup of a health URL's host name.
const resolveTimeout = 2 * time.Second

func anyLocal(ips []net.IP) (bool, error) {
	for _, ip := range ips {
		if ip.IsLoopback() || ip.IsUnspecified() {
			return true, nil
		}
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false, fmt.Errorf("list this machine's addresses: %w", err)
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if ok && slices.ContainsFunc(ips, n.IP.Equal) {
			return true, nil
		}
	}
	return false, nil
}
