package supervise

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
)

// TestMain re-executes the test binary as a fake child when HSUP_TEST_CHILD
// names a helper (the os/exec tests' pattern).
func TestMain(m *testing.M) {
	if name := os.Getenv("HSUP_TEST_CHILD"); name != "" {
		helper, ok := helpers[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
			os.Exit(2)
		}
		helper(os.Args[1:]...)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var helpers = map[string]func(args ...string){
	"exit": func(args ...string) {
		n, _ := strconv.Atoi(args[0])
		os.Exit(n)
	},
	// sleep-until-signal prints its pid and pgid, then exits 42 on SIGTERM.
	"sleep-until-signal": func(...string) {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		fmt.Printf("ready %d %d %d\n", os.Getpid(), os.Getppid(), syscall.Getpgrp())
		<-ch
		os.Exit(42)
	},
	// ignore-sigterm starts a grandchild in its group that also ignores
	// SIGTERM, prints both pids, and waits forever.
	"ignore-sigterm": func(...string) {
		signal.Ignore(syscall.SIGTERM)
		fmt.Printf("ready %d %d\n", os.Getpid(), startLeaf())
		select {}
	},
	// term-leaves-grandchild exits 0 on SIGTERM but leaves a grandchild
	// in its group that ignores SIGTERM (ready only once it does).
	"term-leaves-grandchild": func(...string) {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		leaf := startLeaf()
		fmt.Printf("ready %d %d\n", os.Getpid(), leaf)
		<-ch
		os.Exit(0)
	},
	"ignore-sigterm-leaf": func(...string) {
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("leaf-ready")
		select {}
	},
}

// helperSpec is a Spec that runs helper name with args; its stdout lines
// arrive on the returned channel.
func helperSpec(t *testing.T, name string, args ...string) (Spec, <-chan string) {
	t.Helper()
	lines := newLineWriter()
	return Spec{
		Path:   os.Args[0],
		Args:   append([]string{os.Args[0]}, args...),
		Env:    append(os.Environ(), "HSUP_TEST_CHILD="+name),
		Stdout: lines,
		Stderr: os.Stderr,
	}, lines.ch
}

// startLeaf starts ignore-sigterm-leaf in the caller's process group and
// returns its pid once it ignores SIGTERM.
func startLeaf() int {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "HSUP_TEST_CHILD=ignore-sigterm-leaf")
	out, err := cmd.StdoutPipe()
	if err != nil {
		os.Exit(3)
	}
	if err := cmd.Start(); err != nil {
		os.Exit(3)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "leaf-ready\n" {
		os.Exit(4)
	}
	return cmd.Process.Pid
}
