//go:build linux

package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/hsup/hsup/test/hsuptest"
)

// treeGrace is the --stop-grace of these tests (treeArgs); the promise is
// that nothing of the tree outlives hsup by more than the grace and 1 s.
const treeGrace = 2 * time.Second

// TestKill9LeavesNothing: in each state, SIGKILL hsup while its child runs
// the server as a grandchild and has a setsid'd worker. Within the stop
// grace + 1 s nothing of the old tree runs, and an hsup started at once
// for the same service serves from a child of its own.
func TestKill9LeavesNothing(t *testing.T) {
	for _, tt := range []struct {
		state string
		root  []string // extra arguments of the tree's root
		flags []string
		bring func(t *testing.T, addr string, tree treePids)
	}{
		{state: "running"},
		{state: "starting", flags: []string{"--health-url=http://127.0.0.1:1/health"}}, // never answers
		{state: "capturing", flags: []string{"--dump-signal=USR1", "--dump-wait=20s"}, bring: degrade},
		{state: "stopping", root: []string{"ignore-term"}, bring: degrade},
		{state: "backoff", flags: []string{"--backoff-min=30s", "--backoff-max=30s"},
			bring: func(t *testing.T, _ string, tree treePids) { _ = syscall.Kill(tree.root, syscall.SIGKILL) }},
	} {
		t.Run(tt.state, func(t *testing.T) {
			t.Parallel()
			kill9In(t, tt.state, tt.root, tt.flags, tt.bring)
		})
	}
}

func degrade(t *testing.T, addr string, _ treePids) {
	if code, _ := hsuptest.Post(t, "http://"+addr+"/degrade"); code != 200 {
		t.Fatalf("POST /degrade: %d", code)
	}
}

func kill9In(t *testing.T, state string, root, flags []string, bring func(*testing.T, string, treePids)) {
	addr := "127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t))
	stateDir := t.TempDir()
	svc := []string{"--name=webui", "--state-dir=" + stateDir}
	args, env := treeArgs(t, addr, append(svc, flags...)...)
	args = append(args, root...)
	p := hsuptest.Start(t, args, env)
	old, _ := readyTree(t, p, 0)
	lifeline := pgrp(t, old.root)
	killOnCleanup(t, func() []int { return append(old.all(), lifeline) })
	waitRecorded(t, stateDir, "webui", old.worker)
	if state != "starting" { // failures count only once the child proved healthy
		p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
	}
	if bring != nil {
		bring(t, addr, old)
	}
	p.WaitLine(t, 0, lineWait, "child "+state, hsuptest.State(state))

	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	nextArgs, _ := treeArgs(t, addr, svc...) // the helper's environment is env already
	next := hsuptest.Start(t, nextArgs, env)
	took := waitAllGone(t, append(old.all(), lifeline), treeGrace+time.Second)
	t.Logf("%s: the old tree (root %d, server %d, worker %d, lifeline %d) was gone %v after kill -9 of hsup",
		state, old.root, old.server, old.worker, lifeline, took.Round(time.Millisecond))

	tree, _ := readyTree(t, next, 0)
	killOnCleanup(t, func() []int { return tree.all() })
	next.WaitLine(t, 0, 3*lineWait, "the new hsup's child running", hsuptest.State("running"))
	if pid, err := healthPid(t, addr); err != nil || pid != tree.server {
		t.Fatalf("/health answered from pid %d (%v), want the new tree's server %d", pid, err, tree.server)
	}
	if state != "backoff" { // in backoff nothing ran, and the record was cleared with the exit
		if n := countLines(next, "earlier hsup", old.root); n == 0 {
			t.Errorf("no line of the new hsup names the earlier child %d (reclaimed or gone); log:\n%v", old.root, next.Lines())
		}
	}
	t.Logf("%s: the new hsup served from its own child %v after kill -9", state, time.Since(killed).Round(time.Millisecond))
}

// countLines counts the log lines whose message contains msg and that
// mention pid anywhere.
func countLines(p *hsuptest.Proc, msg string, pid int) int {
	n := 0
	for _, l := range p.Lines() {
		if strings.Contains(l.Msg(), msg) && strings.Contains(fmt.Sprint(l), strconv.Itoa(pid)) {
			n++
		}
	}
	return n
}

// pgrp is pid's process group.
func pgrp(t *testing.T, pid int) int {
	t.Helper()
	p, err := procfs.NewProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return st.PGRP
}

// TestSetsidWorkerStoppedWithChild: a worker outside the child's process
// group is stopped with the child on a restart and on hsup's SIGTERM, and
// each time hsup names it in the log.
func TestSetsidWorkerStoppedWithChild(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t))
	args, env := treeArgs(t, addr)
	p := hsuptest.Start(t, args, env)
	first, _ := readyTree(t, p, 0)
	killOnCleanup(t, first.all)
	_, at := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
	degrade(t, addr, first)
	second, from := readyTree(t, p, at+1)
	killOnCleanup(t, second.all)
	waitAllGone(t, first.all(), treeGrace+time.Second)
	if n := countLines(p, "outside the child's process group", first.worker); n == 0 {
		t.Errorf("no log line names the setsid'd worker %d that the restart stopped", first.worker)
	}
	p.WaitLine(t, from, lineWait, "the replacement running", hsuptest.State("running"))
	p.Signal(t, syscall.SIGTERM)
	p.Wait(t, exitWait)
	waitAllGone(t, second.all(), time.Second) // hsup's exit waited for the stop
	if n := countLines(p, "outside the child's process group", second.worker); n == 0 {
		t.Errorf("no log line names the setsid'd worker %d that the shutdown stopped", second.worker)
	}
}

// TestChildThatCallsSetsid: a child that left its process group itself
// (setsid) still gets the stop signal and, past the grace, SIGKILL: on a
// restart and on hsup's SIGTERM.
func TestChildThatCallsSetsid(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t))
	args, env := treeArgs(t, addr)
	p := hsuptest.Start(t, append(args, "setsid"), env)
	first, _ := readyTree(t, p, 0)
	killOnCleanup(t, first.all)
	_, at := p.WaitLine(t, 0, lineWait, "child running", hsuptest.State("running"))
	degrade(t, addr, first)
	second, from := readyTree(t, p, at+1)
	killOnCleanup(t, second.all)
	waitAllGone(t, first.all(), treeGrace+time.Second)
	p.WaitLine(t, from, lineWait, "the replacement running", hsuptest.State("running"))
	p.Signal(t, syscall.SIGTERM)
	if code := p.Wait(t, treeGrace+exitWait); code != 0 {
		t.Errorf("hsup exited %d after SIGTERM, want 0 (a clean stop)", code)
	}
	waitAllGone(t, second.all(), time.Second)
}

// TestKill9RightAfterAWorkerStarts: a setsid worker that started after
// hsup last read the child's tree is still stopped when hsup is killed:
// the lifeline reads the tree itself, while the worker's parent holds it.
func TestKill9RightAfterAWorkerStarts(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t))
	args, env := treeArgs(t, addr)
	p := hsuptest.Start(t, append(args, "late-worker"), env)
	tree, _ := readyTree(t, p, 0)
	lifeline := pgrp(t, tree.root)
	killOnCleanup(t, func() []int { return append(tree.all(), lifeline) })
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	took := waitAllGone(t, append(tree.all(), lifeline), treeGrace+time.Second)
	t.Logf("the tree with a worker started %s after the child was gone %v after kill -9 of hsup", "300ms", took.Round(time.Millisecond))
}

// TestLifelineDeathIsLogged: a lifeline killed while its child runs is
// named in an error line (the child is unguarded until its next start).
func TestLifelineDeathIsLogged(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t))
	args, env := treeArgs(t, addr)
	p := hsuptest.Start(t, args, env)
	tree, _ := readyTree(t, p, 0)
	killOnCleanup(t, tree.all)
	lifeline := pgrp(t, tree.root)
	if lifeline == tree.root {
		t.Fatal("the child leads its own group: no lifeline")
	}
	if err := syscall.Kill(lifeline, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.WaitLine(t, 0, lineWait, "an error naming the lifeline's end", func(l hsuptest.Line) bool {
		return l.Str("level") == "error" && strings.Contains(l.Msg(), "without a lifeline") &&
			strings.Contains(l.Str("error"), strconv.Itoa(lifeline))
	})
}
