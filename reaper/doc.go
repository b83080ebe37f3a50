// Package reaper is the one owner of waiting for hsup's child processes.
//
// When hsup is PID 1 (a container's entrypoint), orphans are re-parented
// to it and stay zombies until it reaps them. Reaping must not take the
// exit status of a process some Wait of hsup's is waiting for: the
// supervised child, or a collector (lsof, sample, py-spy) whose output a
// bundle needs. So, as in containerd's pkg/sys/reaper, every process hsup
// starts is started through this package:
//
//   - Start starts a command and registers its pid, holding the owner's
//     lock from before the fork until the pid is registered, so the reaper
//     can never see the new process unregistered.
//   - Wait (or Output, which starts and waits) waits for it and then
//     releases the pid; a caller that waits in its own way (the supervised
//     child's waitid(WNOWAIT) dance) calls Release after its Wait.
//   - Run is the PID 1 loop: on every SIGCHLD it lists hsup's children and
//     reaps those that are not registered. It returns at once when hsup is
//     not PID 1, and on every platform but Linux.
//
// Who may be reaped is decided by ownership alone (mayReap), never by a
// process group or any other heuristic: the collectors run in their own
// process groups on purpose, so that a timeout can kill their whole tree.
package reaper
