package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func init() {
	helpers["exit"] = helperExit
	helpers["wait-term"] = helperWaitTerm
	helpers["ignore-term"] = helperIgnoreTerm
	helpers["orphans"] = helperOrphans
}

// helperExit: exit N at once.
func helperExit(args []string) int {
	n, _ := strconv.Atoi(args[0])
	return n
}

// helperWaitTerm: announce itself (pid, ppid, HSUP_SUPERVISED), wait for
// SIGTERM, exit with args[0]. It gives up after a minute so it cannot linger.
func helperWaitTerm(args []string) int {
	code, _ := strconv.Atoi(args[0])
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	say("helper ready", "pid", os.Getpid(), "ppid", os.Getppid(), "supervised", os.Getenv("HSUP_SUPERVISED"))
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	select {
	case <-ch:
		return code
	case <-t.C:
		return 99
	}
}

// helperIgnoreTerm: ignore SIGTERM, start a grandchild in the same process
// group that ignores it too, announce both pids, then wait.
func helperIgnoreTerm([]string) int {
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
func helperOrphans([]string) int {
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

// zombies lists processes in state Z visible in /proc.
func zombies() []string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var z []string
	for _, f := range stats {
		if procState(f) == "Z" {
			z = append(z, f)
		}
	}
	return z
}

// procState is the state letter of /proc/PID/stat, "" when gone.
func procState(statFile string) string {
	b, err := os.ReadFile(statFile)
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+3 > len(s) {
		return ""
	}
	return s[i+2 : i+3]
}
