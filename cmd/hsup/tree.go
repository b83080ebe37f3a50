package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/hsup/hsup/healthcheck"
	"github.com/hsup/hsup/proctree"
	"github.com/hsup/hsup/reaper"
	"github.com/hsup/hsup/supervise"

	"github.com/hsup/hsup/tick"
)

// tree is the child's process tree as hsup can see it: the child's
// descendants, plus orphans re-parented to hsup (as a child subreaper on
// Linux, or PID 1) that no Wait of hsup's owns, and their descendants:
// those came from the child. It reads only that tree (proctree.Walk).
func tree(pid int) []proctree.Proc {
	if pid <= 1 {
		return nil // the tree of the kernel or init is every process: never hsup's child
	}
	roots := []int{pid}
	var out []proctree.Proc
	kids, _ := proctree.Reparented(os.Getpid()) // orphans; the children hsup forked are Owned
	for _, k := range kids {
		if k == pid || reaper.Owned(k) {
			continue
		}
		if p, ok := proctree.Identify(k); ok {
			roots = append(roots, k)
			out = append(out, p)
		}
	}
	below, _ := proctree.Walk(roots...)
	return append(out, below...)
}

func member(p proctree.Proc) supervise.Member {
	return supervise.Member{Pid: p.Pid, Pgid: p.Pgid, Start: p.Start, Comm: p.Comm}
}

// sweep is supervise.Config.Sweep: it signals what of the child's tree is
// outside its process group, and the known members that are still the same
// processes (on macOS, where no subreaper keeps escaped descendants in
// hsup's tree, the last scan is all hsup has).
func sweep(pid, pgid int, known []supervise.Member, sig syscall.Signal) []supervise.Member {
	if pgid <= 1 {
		return nil
	}
	seen := map[int]bool{}
	var hit []supervise.Member
	try := func(p proctree.Proc) {
		if seen[p.Pid] || p.Zombie || p.Pgid == pgid || p.Pid <= 1 || p.Pid == os.Getpid() || p.Pgid == syscall.Getpgrp() {
			return
		}
		seen[p.Pid] = true
		if syscall.Kill(p.Pid, sig) == nil {
			if sig != syscall.SIGKILL {
				_ = syscall.Kill(p.Pid, syscall.SIGCONT)
			}
			hit = append(hit, member(p))
		}
	}
	for _, p := range tree(pid) { // nothing for pid 0 or 1 (tree refuses them): known members only
		try(p)
	}
	for _, m := range known {
		if p, ok := proctree.Identify(m.Pid); ok && p.Start == m.Start {
			try(p)
		}
	}
	return hit
}

// treeInterval: how often the child's tree is read (proctree.Walk reads
// only the tree: about 0.15 ms on Linux). Short, because a descendant
// that appears between two reads and leaves the group is known only to
// the lifeline's own scan if hsup dies meanwhile, and to nobody on macOS.
const treeInterval = time.Second

// treeMonitor reports the child's descendants every interval, so the loop
// knows them (for the record the next hsup reclaims from, and for the
// sweep on macOS).
type treeMonitor struct{ interval time.Duration }

func (m treeMonitor) Watch(ctx context.Context, pid int, report func(supervise.Report)) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		members := []supervise.Member{}
		for _, p := range tree(pid) {
			if !p.Zombie {
				members = append(members, member(p))
			}
		}
		report(supervise.Report{Tree: members})
		timer.Reset(tick.Next(time.Now(), m.interval))
	}
}

// portOwner is the health monitor's owner check: every listener on port
// must be the child or one of its descendants. It says who else holds the
// port otherwise.
func portOwner(port int) func(ctx context.Context, pid int) (bool, string, error) {
	return func(ctx context.Context, pid int) (bool, string, error) {
		pids, unseen, err := proctree.Listeners(ctx, port)
		if err != nil {
			return false, "", err
		}
		mine := map[int]bool{pid: true}
		for _, p := range tree(pid) {
			mine[p.Pid] = true
		}
		// Every listener on the port must be the child's: with another one
		// (on another address, or sharing the port with SO_REUSEPORT) the
		// answers may be that one's.
		var holders []string
		for _, l := range pids {
			if !mine[l] {
				p, _ := proctree.Identify(l)
				holders = append(holders, fmt.Sprintf("pid %d (%s)", l, p.Comm))
			}
		}
		if unseen {
			holders = append(holders, "a process of another user that hsup cannot inspect")
		}
		switch {
		case len(holders) == 0 && len(pids) > 0:
			return true, "", nil
		case len(holders) == 0:
			return false, "", errors.New("no listening socket found on the port")
		}
		return false, fmt.Sprintf("port %d is held by %s", port, strings.Join(holders, ", ")), nil
	}
}

// ownerCheck wires portOwner for a health URL whose host is this machine;
// for another host there is no local listener to find (one warning).
func ownerCheck(rawURL string, log *zap.Logger) func(ctx context.Context, pid int) (bool, string, error) {
	port, local, err := healthcheck.LocalPort(rawURL)
	if err != nil || !local {
		log.Warn("the health URL is not on this machine: hsup cannot check that the child owns the listener that answers",
			zap.String("url", rawURL), zap.Error(err))
		return nil
	}
	return portOwner(port)
}
