//go:build unix

package fdlimit

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hsup/hsup/test/reexec"
)

func init() { reexec.Register("limits", helperLimits) }

// startedEnv marks the second image of helperLimits, after it lowered its
// own start-up limit and re-executed itself.
const startedEnv = "FDLIMIT_TEST_STARTED=1"

// helperLimits START MODE N: with START > 0 it first becomes a process
// that started under soft limit START (it sets it and execs itself, so the
// new image's Go runtime sees START as its start-up limit). Then, as hsup
// does, MODE "fork" raises its own limit with RaiseOwn, prints it and
// starts a shell that prints the soft limit it inherited; as the shim
// does, MODE "exec" applies N to itself and execs that shell; as hsup does
// with --nofile=0, MODE "inherited" raises its own limit, then prints
// RaiseOwn's Before and what Inherited says a child gets.
func helperLimits(args ...string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: limits START MODE N")
		return 2
	}
	start, _ := strconv.ParseUint(args[0], 10, 64)
	n, _ := strconv.ParseUint(args[2], 10, 64)
	if start > 0 && !strings.Contains(strings.Join(os.Environ(), "\n"), startedEnv) {
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fail(err)
		}
		lim.Cur = start
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fail(err)
		}
		return fail(syscall.Exec(os.Args[0], os.Args, append(os.Environ(), startedEnv)))
	}
	shell := []string{"sh", "-c", "ulimit -n"}
	switch args[1] {
	case "fork":
		own, err := RaiseOwn()
		if err != nil {
			return fail(err)
		}
		out, err := exec.Command("/bin/sh", shell[1:]...).Output()
		if err != nil {
			return fail(err)
		}
		fmt.Printf("own %d %d\nchild %s", own.Soft, own.Hard, out)
	case "exec":
		if _, err := Apply(n); err != nil {
			return fail(err)
		}
		fmt.Print("child ")
		return fail(syscall.Exec("/bin/sh", shell, os.Environ()))
	case "inherited":
		own, err := RaiseOwn()
		if err != nil {
			return fail(err)
		}
		n, err := Inherited()
		if err != nil {
			return fail(err)
		}
		fmt.Printf("before %d\nchild %d\n", own.Before, n)
	}
	return 0
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// TestChildLimits starts real processes and reads the soft limit a shell
// child really runs with, in the two ways hsup starts children: directly,
// after raising its own limit (the child inherits the start-up limit), and
// through a shim that applies --nofile to itself and execs the program.
func TestChildLimits(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Max < 1024 {
		t.Skipf("hard limit %d is too low for these cases", lim.Max)
	}
	cases := []struct {
		name        string
		start, n    uint64
		mode        string
		child       uint64
		checkRaised bool
	}{
		{name: "direct child inherits the start-up limit", start: 300, mode: "fork", child: 300, checkRaised: true},
		{name: "shim exec gives exactly N under a low start-up limit", start: 300, mode: "exec", n: 256, child: 256},
		{name: "shim exec gives exactly N above the start-up limit", start: 300, mode: "exec", n: 700, child: 700},
		{name: "shim exec gives exactly N", mode: "exec", n: 200, child: 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := reexec.Command(t, "limits", strconv.FormatUint(c.start, 10), c.mode, strconv.FormatUint(c.n, 10))
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("helper: %v; output %q", err, out)
			}
			got := map[string][]string{}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.Fields(line)
				if len(f) > 1 {
					got[f[0]] = f[1:]
				}
			}
			if want := strconv.FormatUint(c.child, 10); len(got["child"]) != 1 || got["child"][0] != want {
				t.Fatalf("child's soft limit %q, want %s (output %q)", got["child"], want, out)
			}
			if !c.checkRaised {
				return
			}
			own, _ := strconv.ParseUint(got["own"][0], 10, 64)
			hard, _ := strconv.ParseUint(got["own"][1], 10, 64)
			if target, _ := Clamp(hard, hard, platformCap()); !raised(own, target) {
				t.Errorf("own soft limit %d after RaiseOwn, want the hard limit %d (or one below)", own, target)
			}
		})
	}
}

func TestRaiseOwn(t *testing.T) {
	own, err := RaiseOwn()
	if err != nil {
		t.Fatal(err)
	}
	target, _ := Clamp(own.Hard, own.Hard, platformCap())
	if !raised(own.Soft, target) {
		t.Fatalf("RaiseOwn() = %+v, want the soft limit at %d (or one below)", own, target)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur != own.Soft {
		t.Errorf("soft limit %d after RaiseOwn, it said %d", lim.Cur, own.Soft)
	}
}

// TestInherited starts a process under a low start-up limit that raises
// its own, as hsup does: Inherited tells the start-up limit its children
// get, which RaiseOwn's Before does not (the Go runtime had raised the
// limit before any of hsup's code ran).
func TestInherited(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Max < 1024 {
		t.Skipf("hard limit %d is too low", lim.Max)
	}
	out, err := reexec.Command(t, "limits", "300", "inherited", "0").Output()
	if err != nil {
		t.Fatalf("helper: %v; output %q", err, out)
	}
	var before, child uint64
	if _, err := fmt.Sscanf(string(out), "before %d\nchild %d\n", &before, &child); err != nil {
		t.Fatalf("helper printed %q: %v", out, err)
	}
	if child != 300 {
		t.Fatalf("Inherited() = %d, want the start-up limit 300", child)
	}
	if before == 300 {
		t.Fatalf("RaiseOwn's Before = 300: the Go runtime no longer raises the limit at start-up, and Before could replace Inherited")
	}
}
