//go:build linux

package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/procfs"

	"github.com/hsup/hsup/test/reexec"
)

// The helpers of run_test.go's process tests, which need Linux.
func init() {
	reexec.Register("exit", helperExit)
	reexec.Register("ignore-term", helperIgnoreTerm)
	reexec.Register("orphans", helperOrphans)
}

// helperExit: exit N at once.
func helperExit(args ...string) int {
	n, _ := strconv.Atoi(args[0])
	return n
}

// helperIgnoreTerm: ignore SIGTERM, start a grandchild in the same process
// group that ignores it too, announce both pids, then wait.
func helperIgnoreTerm(...string) int {
	signal.Ignore(syscall.SIGTERM)
	gc := exec.Command("/bin/sh", "-c", `trap "" TERM; sleep 60 & wait`)
	if err := gc.Start(); err != nil {
		say("helper failed", "error", err.Error())
		return 1
	}
	say("helper ready", "pid", os.Getpid(), "grandchild", gc.Process.Pid)
	_ = gc.Wait()
	return 0
}

// helperOrphans: as the child of hsup when hsup is PID 1, leave orphans
// that exit, then check with a bounded loop that none stays a zombie.
// Exit 0 when every orphan is gone, 1 otherwise, 3 on setup failure.
func helperOrphans(...string) int {
	out, err := exec.Command("/bin/sh", "-c",
		`for i in 1 2 3 4 5; do sleep 0.2 & echo $!; done`).Output()
	if err != nil {
		say("helper failed", "error", err.Error())
		return 3
	}
	var pids []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		pids = append(pids, strings.TrimSpace(sc.Text()))
	}
	if len(pids) != 5 {
		return 3
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		left := remaining(pids)
		if len(left) == 0 && len(zombies()) == 0 {
			say("helper orphans reaped", "orphans", pids)
			return 0
		}
		time.Sleep(50 * time.Millisecond) // polling /proc: there is no event to wait on
	}
	say("helper orphans left", "orphans", remaining(pids), "zombies", zombies())
	return 1
}

func remaining(pids []string) []string {
	var left []string
	for _, p := range pids {
		if _, err := os.Stat("/proc/" + p); err == nil {
			left = append(left, p)
		}
	}
	return left
}

// zombies lists the pids of processes in state Z visible in /proc.
func zombies() []int {
	procs, _ := procfs.AllProcs()
	var z []int
	for _, p := range procs {
		if procState(p.PID) == "Z" {
			z = append(z, p.PID)
		}
	}
	return z
}

// procState is the state letter of process pid, "" when it is gone.
func procState(pid int) string {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return ""
	}
	st, err := p.Stat()
	if err != nil {
		return ""
	}
	return st.State
}
