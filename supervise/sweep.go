package supervise

import (
	"slices"
	"syscall"

	"go.uber.org/zap"
)

// sweep has Config.Sweep signal, off the loop, what of the child's tree
// the group signal does not reach, and logs each process it reaches that
// way: a descendant outside the group is one the docs promise to name.
func (s *Supervisor) sweep(sig syscall.Signal) {
	if s.cfg.Sweep == nil || s.st.Pid == 0 {
		return
	}
	pid, pgid, known := s.st.Pid, s.st.Pgid, s.st.Members
	s.wg.Go(func() { s.sweepLogged(pid, pgid, known, sig) })
}

func (s *Supervisor) sweepLogged(pid, pgid int, known []Member, sig syscall.Signal) []Member {
	if pid <= 1 || pgid <= 1 {
		return nil // never a tree rooted at the kernel or init: that is every process
	}
	hit := s.cfg.Sweep(pid, pgid, known, sig)
	s.logSwept(pid, hit, sig)
	return hit
}

func (s *Supervisor) logSwept(pid int, hit []Member, sig syscall.Signal) {
	for _, m := range hit {
		s.log.Warn("signalled a descendant outside the child's process group", zap.Int("pid", m.Pid),
			zap.String("command", m.Comm), zap.Int("pgid", m.Pgid), zap.Int("child", pid), zap.Stringer("signal", sig))
	}
}

// sweepExit handles what was left of the tree of the child pid (group
// pgid) after its exit: swept is what its process already killed (the
// fresh tree, before the exit was reported); the known members that are
// still the same processes are killed here, off the loop (on macOS nothing
// re-parents an escaped descendant to hsup, so the last scan is all hsup
// has). When the child exited 0 during startup (daemonized), it names what
// the child left behind.
func (s *Supervisor) sweepExit(pid, pgid int, swept, known []Member, daemonized bool) {
	s.wg.Go(func() {
		s.logSwept(pid, swept, syscall.SIGKILL)
		left := slices.Clone(swept)
		known = slices.DeleteFunc(slices.Clone(known), func(m Member) bool { // killed already: once is enough
			return slices.ContainsFunc(swept, func(w Member) bool { return w.Pid == m.Pid && w.Start == m.Start })
		})
		if s.cfg.Sweep != nil && len(known) > 0 && pgid > 1 {
			// pid 0: the child is reaped and its pid may name another
			// process by now: only the identity-checked members, no tree.
			hit := s.cfg.Sweep(0, pgid, known, syscall.SIGKILL)
			s.logSwept(pid, hit, syscall.SIGKILL)
			left = append(left, hit...)
		}
		switch {
		case !daemonized:
		case len(left) > 0:
			s.log.Error("the child exited 0 during startup and left processes running outside its process group: "+
				"it daemonized (double-forked); they were stopped. The program must run in the foreground "+
				"(Hermes WebUI: --foreground or HERMES_WEBUI_FOREGROUND=1)", zap.Int("pid", pid), zap.Any("left", left))
		case s.cfg.Health != nil:
			s.warnDaemonized() // nothing found to stop: does something still answer?
		}
	})
}
