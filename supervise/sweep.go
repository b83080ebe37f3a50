package supervise

import (
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
	for _, m := range hit {
		s.log.Warn("signalled a descendant outside the child's process group", zap.Int("pid", m.Pid),
			zap.String("command", m.Comm), zap.Int("pgid", m.Pgid), zap.Int("child", pid), zap.Stringer("signal", sig))
	}
	return hit
}

// sweepExit kills, off the loop, what is left of the tree of the child pid
// (group pgid, known members) after its exit (the group is killed with the
// exit itself), and, when the child exited 0 during startup (daemonized),
// names what it left behind.
func (s *Supervisor) sweepExit(pid, pgid int, known []Member, daemonized bool) {
	s.wg.Go(func() {
		var left []Member
		if s.cfg.Sweep != nil {
			left = s.sweepLogged(pid, pgid, known, syscall.SIGKILL)
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
