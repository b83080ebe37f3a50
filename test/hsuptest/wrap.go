package hsuptest

import (
	"os/exec"
	"testing"
)

// StartWrapped runs hsup under a wrapper command (prlimit, unshare ...):
// wrapper[0] is executed with wrapper[1:], then hsup's path, then args.
// Everything else is as in Start: stderr is parsed into Lines and the
// wrapper is SIGKILLed in t.Cleanup if still running, so the wrapper must
// take hsup down with it (prlimit execs; unshare needs --kill-child).
func StartWrapped(t testing.TB, wrapper, args []string, env ...string) *Proc {
	t.Helper()
	if len(wrapper) == 0 {
		t.Fatal("StartWrapped: empty wrapper")
	}
	argv := append(append(append([]string(nil), wrapper[1:]...), Binary(t)), args...)
	return startCmd(t, exec.Command(wrapper[0], argv...), env)
}
