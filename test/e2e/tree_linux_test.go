//go:build linux

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

// The tree helper is a child shaped like the WebUI behind a start script:
// the process hsup starts ("root") runs the HTTP server as a grandchild in
// its process group ("server") and a worker that called setsid() ("worker"),
// so outside the group. One helper with three roles, because only the
// test binary's own starts count as uses of a helper.
//
//	tree root ADDR [MODE]          start server and worker, announce the pids, wait (USR1 ignored);
//	                               MODE ignore-term, setsid (leave the group first), late-worker
//	tree server ADDR               serve /health (200; 503 after POST /degrade)
//	tree worker                    wait for SIGTERM
func init() { reexec.Register("tree", helperTree) }

func helperTree(args ...string) int {
	if len(args) == 0 {
		return 2
	}
	switch args[0] {
	case "root":
		return treeRoot(args[1:]...)
	case "server":
		return treeServer(args[1])
	case "worker":
		waitTerm()
		return 0
	}
	return 2
}

func treeRoot(args ...string) int {
	signal.Ignore(syscall.SIGUSR1) // hsup's --dump-signal in the capturing test
	mode := ""
	if len(args) > 1 {
		mode = args[1]
	}
	switch mode {
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
	case "setsid": // leave hsup's process group (and session) at once
		if _, err := syscall.Setsid(); err != nil {
			say("helper failed", "error", err.Error())
			return 1
		}
	}
	server := treeCmd("server", args[0])
	worker := treeCmd("worker")
	worker.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := server.Start(); err != nil {
		say("helper failed", "error", err.Error())
		return 1
	}
	if mode == "late-worker" { // after hsup's tree scan of the start: only a later scan sees it
		time.Sleep(300 * time.Millisecond)
	}
	if err := worker.Start(); err != nil {
		say("helper failed", "error", err.Error())
		return 1
	}
	say("helper ready", "pid", os.Getpid(), "server", server.Process.Pid, "worker", worker.Process.Pid)
	if len(args) > 1 && args[1] == "ignore-term" {
		select {}
	}
	waitTerm()
	return 0
}

// treeCmd re-executes the test binary in another role of the tree helper.
func treeCmd(role string, args ...string) *exec.Cmd {
	c := exec.Command(os.Args[0], append([]string{role}, args...)...)
	c.Env = append(os.Environ(), reexec.Guard+"=tree")
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	return c
}

func treeServer(addr string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		say("helper failed", "error", err.Error())
		return 1
	}
	var degraded atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if degraded.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, `{"status":"degraded","pid":%d}`, os.Getpid())
			return
		}
		fmt.Fprintf(w, `{"status":"ok","pid":%d}`, os.Getpid())
	})
	mux.HandleFunc("/degrade", func(http.ResponseWriter, *http.Request) { degraded.Store(true) })
	go func() { _ = http.Serve(ln, mux) }()
	waitTerm()
	return 0
}

func waitTerm() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	<-ch
}

// treePids are the processes of one tree child, as its ready line says.
type treePids struct{ root, server, worker int }

func (p treePids) all() []int { return []int{p.root, p.server, p.worker} }

func readyTree(t *testing.T, p *hsuptest.Proc, from int) (treePids, int) {
	t.Helper()
	l, i := p.WaitLine(t, from, lineWait, "the tree's ready line", func(l hsuptest.Line) bool { return l.Msg() == "helper ready" })
	return treePids{root: l.Int("pid"), server: l.Int("server"), worker: l.Int("worker")}, i
}

// treeArgs runs the tree helper under hsup, probing its server on addr.
func treeArgs(t *testing.T, addr string, extra ...string) ([]string, string) {
	t.Helper()
	cmd, env := helperCmd(t, "tree", "root", addr)
	args := runArgs(t, append([]string{"--health-url=http://" + addr + "/health", "--health-interval=200ms",
		"--health-timeout=500ms", "--health-failures=2", "--deep-url=", "--heartbeat-field=", "--stop-grace=2s"}, extra...)...)
	return append(args, cmd...), env
}

// running reports whether pid is a live process (not gone, not a zombie).
func running(pid int) bool {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return false
	}
	st, err := p.Stat()
	return err == nil && st.State != "Z" && st.State != "X"
}

// waitAllGone waits, bounded by within, until none of pids runs, and
// returns how long that took; it fails the test with the survivors.
func waitAllGone(t *testing.T, pids []int, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		var left []int
		for _, pid := range pids {
			if running(pid) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("still running %v after %v: %v", left, within, describe(left))
			return 0
		}
		time.Sleep(10 * time.Millisecond) // polling /proc: there is no event to wait on
	}
}

func describe(pids []int) string {
	var out []string
	for _, pid := range pids {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		out = append(out, strings.TrimSpace(string(b)))
	}
	return strings.Join(out, "; ")
}

// killOnCleanup SIGKILLs pids still running when the test ends, so a
// failing run leaves nothing behind. Only pids this test's helpers
// announced, and only while they still run the test binary.
func killOnCleanup(t *testing.T, pids func() []int) {
	t.Cleanup(func() {
		self, _ := os.Executable()
		for _, pid := range pids() {
			if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && exe == self && running(pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
}

// childRecord reads the service's child.json in stateDir/name.
func childRecord(stateDir, name string) (map[string]any, error) {
	b, err := os.ReadFile(stateDir + "/" + name + "/child.json")
	if err != nil {
		return nil, err
	}
	var rec map[string]any
	return rec, json.Unmarshal(b, &rec)
}

// recordHas reports whether the service's record lists pid among its
// members (the descendants hsup knows of).
func recordHas(stateDir, name string, pid int) bool {
	rec, err := childRecord(stateDir, name)
	if err != nil {
		return false
	}
	members, _ := rec["members"].([]any)
	for _, m := range members {
		if mm, _ := m.(map[string]any); mm != nil && int(mm["pid"].(float64)) == pid {
			return true
		}
	}
	return false
}

// waitRecorded waits until the record lists pid.
func waitRecorded(t *testing.T, stateDir, name string, pid int) {
	t.Helper()
	deadline := time.Now().Add(lineWait)
	for !recordHas(stateDir, name, pid) {
		if time.Now().After(deadline) {
			rec, err := childRecord(stateDir, name)
			t.Fatalf("the child record does not list pid %d: %v %v", pid, rec, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a file hsup replaces: no event to wait on
	}
}

var errNoServer = errors.New("no answer")

// healthPid is the pid the tree's server reports on /health.
func healthPid(t *testing.T, addr string) (int, error) {
	code, body := hsuptest.Get(t, "http://"+addr+"/health")
	if code == 0 {
		return 0, errNoServer
	}
	var h struct{ PID int }
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		return 0, err
	}
	return h.PID, nil
}
