//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// launchHsup runs `hsup run FLAGS -- demo-app ...`. With metrics it also
// listens for /metrics on a free port of 127.0.0.1.
func launchHsup(bin, tmp, name string, flags []string, metrics bool) (*supProc, error) {
	s, port, err := newSup(tmp, name)
	if err != nil {
		return nil, err
	}
	s.isHsup = true
	// Its own --name and --state-dir: hsups side by side (or another
	// user's) must not meet on the one-hsup-per-name lock (exit 75).
	args := []string{"run", "--log-format=json", "--name=bench", "--state-dir=" + filepath.Join(s.dir, "hsup-state"),
		"--health-url=" + s.url, "--diag-dir=" + filepath.Join(s.dir, "diag"), "--metrics-addr="}
	if metrics {
		mport, err := freePort()
		if err != nil {
			return nil, err
		}
		args[len(args)-1] += "127.0.0.1:" + strconv.Itoa(mport)
		s.metric = "http://127.0.0.1:" + strconv.Itoa(mport) + "/metrics"
	}
	args = append(append(args, flags...), "--")
	return s, s.start(bin, append(args, childArgv(bin, s.dir, port)...)...)
}

// launchPeer writes p's service directory or config for the demo app and
// starts p in the foreground. A missing binary returns errSkipped.
func launchPeer(p peer, bin, tmp string) (*supProc, error) {
	path, err := exec.LookPath(p.bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.missing(), errSkipped)
	}
	s, port, err := newSup(tmp, p.name)
	if err != nil {
		return nil, err
	}
	argv := childArgv(bin, s.dir, port)
	switch p {
	case peerRunit, peerDaemontools, peerS6:
		svc := filepath.Join(s.dir, "svc")
		if err := writeFile(filepath.Join(svc, "run"), runScript(argv), 0o755); err != nil {
			return nil, err
		}
		return s, s.start(path, svc)
	case peerSupervisord:
		conf := filepath.Join(s.dir, "supervisord.conf")
		if err := writeFile(conf, supervisordConf(s.dir, argv), 0o644); err != nil {
			return nil, err
		}
		return s, s.start(path, "-n", "-c", conf)
	case peerMonit:
		if !plainWords(append([]string{s.dir}, argv...)...) {
			return nil, fmt.Errorf("monit: %s or %s holds blanks or shell characters; set TMPDIR to a plain path", s.dir, bin)
		}
		conf := filepath.Join(s.dir, "monitrc")
		if err := writeFile(conf, monitConf(s.dir, port, argv), 0o600); err != nil { // monit insists on 0600
			return nil, err
		}
		return s, s.start(path, "-I", "-c", conf)
	}
	return nil, fmt.Errorf("no launcher for peer %q", p.name)
}

func writeFile(path, text string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("make %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Chmod(path, mode) // WriteFile's mode is masked by umask
}

// lineup is the supervisors of one part in print order; sup is nil for a
// skipped peer. all holds everything started, for stopAll.
type lineup struct {
	rows []TimingRow
	sups []*supProc
	all  []*supProc
}

// add records one launch; a skipped peer becomes a row that says so.
func (l *lineup) add(row TimingRow, s *supProc, err error) error {
	if s != nil {
		l.all = append(l.all, s) // stopped by stopAll even if start failed
	}
	if err != nil && !errors.Is(err, errSkipped) {
		return err
	}
	if err != nil {
		row.Skipped, s = err.Error(), nil
	}
	l.rows, l.sups = append(l.rows, row), append(l.sups, s)
	return nil
}

// bringUp waits for every child's first healthy answer.
func (l *lineup) bringUp(ctx context.Context) error {
	for _, s := range l.sups {
		if s == nil {
			continue
		}
		if _, err := s.waitChild(ctx, 30*time.Second, 10*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}
