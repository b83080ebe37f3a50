package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/launchd"
	"github.com/hsup/hsup/managed"
)

// jobFileMax bounds how much of one unit or plist file is read.
const jobFileMax = 1 << 20

// metricsArgs gives a generated unit or plist its own metrics address, so
// that several services on one machine never fight over one port (the
// second hsup would exit 75, "address in use"). claims are the addresses
// of the hsup services already installed. An address given with
// --metrics-addr is kept unless another service claims it (bad input);
// "" disables metrics. Without one, the first port from 9464 up that no
// service claims and nothing listens on is written into the run flags;
// when there is none, metrics are disabled, with one line on stderr.
func metricsArgs(c *cli.Context, s settings, runArgs []string, claims []managed.Claim) ([]string, error) {
	if c.IsSet("metrics-addr") {
		if cl := managed.ClaimOn(s.metricsAddr, claims); s.metricsAddr != "" && cl != nil {
			return nil, usageError("--metrics-addr=%s: port taken by the service in %s (%s); give another port, or --metrics-addr= to disable",
				s.metricsAddr, cl.File, cl.Addr)
		}
		return runArgs, nil
	}
	addr, _, err := managed.PickMetricsAddr(managed.DefaultMetricsAddr, claims, listening)
	switch {
	case err != nil:
		fmt.Fprintf(c.App.ErrWriter, "hsup: no metrics listener for this service (%v): pass --metrics-addr=HOST:PORT to give it one\n", err)
	case addr != managed.DefaultMetricsAddr:
		fmt.Fprintf(c.App.ErrWriter, "hsup: this service's metrics go to %s: %s\n", addr, skipped(addr, claims))
	}
	return append(runArgs, "--metrics-addr="+addr), nil
}

// skipped says why the ports from the default up to addr's were passed
// over: each one's claim, or that something listened on it.
func skipped(addr string, claims []managed.Claim) string {
	_, last, _ := net.SplitHostPort(addr)
	_, first, _ := net.SplitHostPort(managed.DefaultMetricsAddr)
	from, _ := strconv.Atoi(first)
	to, _ := strconv.Atoi(last)
	var why []string
	for p := from; p < to; p++ {
		a := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		if cl := managed.ClaimOn(a, claims); cl != nil {
			why = append(why, fmt.Sprintf("%d is taken by the service in %s", p, cl.File))
		} else {
			why = append(why, fmt.Sprintf("%d is in use now", p))
		}
	}
	return strings.Join(why, "; ")
}

// listening reports whether something listens on addr now: a listener
// hsup could not open there.
func listening(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return true
	}
	_ = l.Close()
	return false
}

// launchdClaims are the metrics addresses of the hsup jobs in the
// directories launchd loads (agents of home, all agents, daemons), except
// the file self, which is being replaced.
func launchdClaims(home, self string) []managed.Claim {
	dirs := []string{"/Library/LaunchAgents", "/Library/LaunchDaemons"}
	if home != "" {
		dirs = append(dirs, filepath.Join(home, "Library", "LaunchAgents"))
	}
	return claims(dirs, "*.plist", self, func(data []byte) []string {
		j, err := launchd.Decode(data)
		if err != nil {
			return nil
		}
		return j.ProgramArguments
	})
}

// systemdClaims are the metrics addresses of the hsup units in the system
// and home's user unit directories, except the file self.
func systemdClaims(home, self string) []managed.Claim {
	dirs := []string{"/etc/systemd/system"}
	if home != "" {
		dirs = append(dirs, filepath.Join(home, ".config", "systemd", "user"))
	}
	return claims(dirs, "*.service", self, execStart)
}

// claims reads the files matching pattern in dirs (not self) and collects
// the metrics addresses of those whose argv is hsup's run command.
func claims(dirs []string, pattern, self string, argv func([]byte) []string) []managed.Claim {
	var out []managed.Claim
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, file := range files {
			if isSelf(file, self) {
				continue
			}
			data, err := readHead(file)
			if err != nil {
				continue
			}
			if addr, ok := managed.MetricsAddrOf(argv(data)); ok && addr != "" {
				out = append(out, managed.Claim{Addr: addr, File: file})
			}
		}
	}
	return out
}

// isSelf reports whether file is the job file being replaced: the same
// path, or another name for it (an alias symlink of a unit).
func isSelf(file, self string) bool {
	if file == self {
		return true
	}
	a, errA := os.Stat(file)
	b, errB := os.Stat(self)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

// readHead reads up to jobFileMax of a regular file. Anything else (a
// FIFO, whose open would wait for a writer; a device) is skipped, and the
// open does not wait (O_NONBLOCK) should the file change in between.
func readHead(file string) ([]byte, error) {
	if fi, err := os.Stat(file); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", file)
	}
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", file)
	}
	return io.ReadAll(io.LimitReader(f, jobFileMax))
}

// execStart is the first ExecStart= of a unit, split into words. The
// split is naive (whitespace, surrounding quotes dropped); it is enough
// for the words that matter here, which hsup writes unquoted.
func execStart(unit []byte) []string {
	sc := bufio.NewScanner(bytes.NewReader(unit))
	for sc.Scan() {
		v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "ExecStart=")
		if !ok {
			continue
		}
		words := strings.Fields(strings.TrimLeft(v, "-@:+!"))
		for i, w := range words {
			words[i] = strings.Trim(w, `"'`)
		}
		return words
	}
	return nil
}
