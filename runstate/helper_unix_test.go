//go:build unix

package runstate

import (
	"bufio"
	"os"
	"os/exec"
	"testing"
	"time"
)

// readyWait bounds how long a helper may take to say it is ready (a -race
// test binary starting on a loaded machine).
const readyWait = 10 * time.Second

// startHelper starts cmd (a reexec helper) with pipes for stdin and
// stdout, waits until the helper writes "ready", and arranges for it to be
// killed and reaped when the test ends. A helper blocks on stdin; closing
// it (at cleanup) ends the helper, should the SIGKILL not.
func startHelper(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		t.Fatalf("start helper %v: %v", cmd.Args, err)
	}
	t.Cleanup(func() {
		inW.Close()
		cmd.Process.Kill() // a no-op once the test waited for it
		cmd.Wait()
		outR.Close()
	})
	if err := outR.SetReadDeadline(time.Now().Add(readyWait)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(outR).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("helper %v: read %q (%v), want ready", cmd.Args, line, err)
	}
}

// ready tells the test that the helper is set up, then blocks until its
// stdin closes.
func ready() int {
	os.Stdout.WriteString("ready\n")
	var b [1]byte
	for {
		if _, err := os.Stdin.Read(b[:]); err != nil {
			return 0
		}
	}
}
