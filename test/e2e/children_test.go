package e2e

import (
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/hsup/hsup/test/reexec"
)

func init() { reexec.Register("wait-term", helperWaitTerm) }

// helperWaitTerm: announce itself (pid, ppid, HSUP_SUPERVISED), wait for
// SIGTERM, exit with args[0]. It gives up after a minute so it cannot linger.
func helperWaitTerm(args ...string) int {
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
