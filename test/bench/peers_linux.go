//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// supProc is one supervisor bench started, supervising one demo app on
// its own port. dir is unique to it and appears in the child's argv
// (--state-dir), which is how bench recognises the children it owns.
type supProc struct {
	name   string
	cmd    *exec.Cmd
	done   chan struct{}
	dir    string
	url    string // the child's /health
	metric string // hsup's /metrics, "" for peers and hsup without metrics
	pid    int    // current child, from its /health
	seen   time.Time
	isHsup bool // its log is hsup's JSON log
}

// childArgv is the one child every supervisor runs.
func childArgv(bin, dir string, port int) []string {
	return []string{bin, "demo-app", "--addr", "127.0.0.1:" + strconv.Itoa(port), "--state-dir", filepath.Join(dir, "state")}
}

// newSup prepares dir and a port; the caller writes config and calls start.
func newSup(tmp, name string) (*supProc, int, error) {
	dir, err := os.MkdirTemp(tmp, "sup-")
	if err != nil {
		return nil, 0, fmt.Errorf("make a directory for %s: %w", name, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	return &supProc{name: name, dir: dir, url: "http://127.0.0.1:" + strconv.Itoa(port) + "/health"}, port, nil
}

// start runs the supervisor in its own process group with output to a
// log file in its directory.
func (s *supProc) start(bin string, args ...string) error {
	log, err := os.Create(filepath.Join(s.dir, "supervisor.log"))
	if err != nil {
		return fmt.Errorf("create the log of %s: %w", s.name, err)
	}
	defer log.Close()
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir, s.cmd.Stdout, s.cmd.Stderr = s.dir, log, log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s (%s): %w", s.name, bin, err)
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }() // stop waits for done
	return nil
}

// stop sends SIGTERM (runsv, s6-supervise, supervisord and hsup stop their
// child on it), SIGKILLs the group after 5 s, then kills any process left
// whose argv names our directory (the detached or setsid'd children).
func (s *supProc) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		if !waitClosed(s.done, 5*time.Second) {
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			if !waitClosed(s.done, 5*time.Second) {
				fmt.Fprintf(os.Stderr, "bench: %s (pid %d) survived SIGKILL for 5s\n", s.name, s.cmd.Process.Pid)
			}
		}
	}
	for _, pid := range pidsWith(s.dir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(pidsWith(s.dir)) > 0 && time.Now().Before(deadline) {
		pause(20 * time.Millisecond)
	}
	if left := pidsWith(s.dir); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "bench: processes of %s still alive after SIGKILL: %v\n", s.name, left)
	}
}

func waitClosed(c <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c:
		return true
	case <-t.C:
		return false
	}
}

// pause is a bounded wait between polls, not a synchronisation.
func pause(d time.Duration) {
	t := time.NewTimer(d)
	<-t.C
}

// pidsWith lists live (non-zombie) processes whose argv contains marker.
func pidsWith(marker string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(cmdline, []byte(marker)) {
			continue
		}
		if zombie(pid) {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// zombie reports whether pid is a zombie, waiting for its parent's wait.
func zombie(pid int) bool {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return false
	}
	st, err := p.Stat()
	return err == nil && st.State == "Z"
}

// ours reports whether pid is a live process whose argv names s.dir, so
// bench never signals a process it did not start.
func (s *supProc) ours(pid int) bool {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return err == nil && bytes.Contains(cmdline, []byte(s.dir))
}

// killChild sends SIGKILL to the current child and returns when it was sent.
func (s *supProc) killChild() (time.Time, error) {
	if !s.ours(s.pid) {
		return time.Time{}, fmt.Errorf("%s: pid %d from /health is not a child bench started; refusing to signal it", s.name, s.pid)
	}
	t0 := time.Now()
	if err := syscall.Kill(s.pid, syscall.SIGKILL); err != nil {
		return t0, fmt.Errorf("kill -9 %d (%s's child): %w", s.pid, s.name, err)
	}
	return t0, nil
}

// waitChild polls the child's /health every `every` until a child other
// than s.pid answers 200, and records it.
func (s *supProc) waitChild(ctx context.Context, timeout, every time.Duration) (time.Time, error) {
	c := fresh(500 * time.Millisecond)
	deadline := time.Now().Add(timeout)
	for {
		if code, body := get(ctx, c, s.url); code == http.StatusOK {
			var h struct{ PID int }
			if json.Unmarshal(body, &h) == nil && h.PID > 0 && h.PID != s.pid {
				s.pid, s.seen = h.PID, time.Now()
				return s.seen, nil
			}
		}
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s: no new child answered %s within %v; see %s/supervisor.log",
				s.name, s.url, timeout, s.dir)
		}
		pause(every)
	}
}

// alive reports an error if the supervisor process has exited.
func (s *supProc) alive() error {
	select {
	case <-s.done:
		return fmt.Errorf("%s exited early (%v); see %s/supervisor.log", s.name, s.cmd.ProcessState, s.dir)
	default:
		return nil
	}
}

// stopAll stops every supervisor, even when the part failed.
func stopAll(sups []*supProc) {
	for _, s := range sups {
		if s != nil {
			s.stop()
		}
	}
}

var errSkipped = errors.New("peer skipped")

// settled waits until the supervisor treats the current child as up: hsup
// logs "child running" once a probe passed (before that a wedge only counts
// against the 60 s startup grace); a peer gets minUptime.
func (s *supProc) settled(ctx context.Context, timeout time.Duration) error {
	if !s.isHsup {
		if wait := minUptime - time.Since(s.seen); wait > 0 {
			return sleepCtx(ctx, wait)
		}
		return nil
	}
	want := []byte(`"msg":"child running"`)
	pidField := []byte(`"pid":` + strconv.Itoa(s.pid) + `,`)
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(filepath.Join(s.dir, "supervisor.log"))
		if err != nil {
			return fmt.Errorf("read %s's log: %w", s.name, err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			if bytes.Contains(line, want) && bytes.Contains(line, pidField) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not log \"child running\" for pid %d within %v", s.name, s.pid, timeout)
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}
