package reaper

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

func TestMain(m *testing.M) { reexec.Main(m, reexec.NoLeaks()) }

func init() {
	reexec.Register("exit", exitHelper)
	reexec.Register("print-exit", printExitHelper)
}

// exitHelper exits with code args[0].
func exitHelper(args ...string) int {
	code, _ := strconv.Atoi(args[0])
	return code
}

// printExitHelper writes args[0] to stdout, args[1] to stderr and exits
// with code args[2].
func printExitHelper(args ...string) int {
	os.Stdout.WriteString(args[0])
	os.Stderr.WriteString(args[1])
	return exitHelper(args[2])
}

// helperCmd is reexec.Command with fastExit.
func helperCmd(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := reexec.Command(t, name, args...)
	cmd.Env = fastExit(cmd.Env)
	return cmd
}

// fastExit keeps a -race helper from sleeping a second when it exits 0
// (the race runtime's atexit_sleep_ms), which would make the PID 1 test,
// with its dozens of helpers, take tens of seconds.
func fastExit(env []string) []string {
	return append(env, "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

// nestedCmd runs helper name from inside a helper, where there is no
// testing.T for reexec.Command (the outer test marks name as used).
func nestedCmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, reexec.Guard+"=") && !strings.HasPrefix(kv, "GORACE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = fastExit(append(cmd.Env, reexec.Guard+"="+name))
	return cmd
}

// registered reports whether pid is in the owner's registry.
func registered(pid int) bool {
	owner.Lock()
	defer owner.Unlock()
	return owner.owned[pid]
}
