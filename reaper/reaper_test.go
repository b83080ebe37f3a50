package reaper

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestMayReap(t *testing.T) {
	owned := map[int]bool{10: true, 11: true}
	tests := []struct {
		name string
		pid  int
		want bool
	}{
		{name: "supervised child, waited for by waitAndClean", pid: 10, want: false},
		{name: "collector in its own process group, waited for by Wait", pid: 11, want: false},
		{name: "orphaned grandchild of the child", pid: 12, want: true},
		{name: "daemonized orphan in its own group", pid: 13, want: true},
		{name: "pid 0 would wait for any child of the group", pid: 0, want: false},
		{name: "pid -1 would wait for any child at all", pid: -1, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mayReap(tt.pid, owned); got != tt.want {
				t.Fatalf("mayReap(%d, %v) = %v, want %v", tt.pid, owned, got, tt.want)
			}
		})
	}
}

func TestStartRegistersUntilWait(t *testing.T) {
	cmd := helperCmd(t, "exit", "3")
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if !registered(pid) {
		t.Errorf("pid %d not registered after Start", pid)
	}
	err := Wait(cmd)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("Wait() = %v, want exit status 3", err)
	}
	if registered(pid) {
		t.Errorf("pid %d still registered after Wait", pid)
	}
}

func TestStartFailureRegistersNothing(t *testing.T) {
	size := func() int {
		owner.Lock()
		defer owner.Unlock()
		return len(owner.owned)
	}
	before := size()
	cmd := exec.Command(t.TempDir() + "/missing")
	if err := Start(cmd); err == nil {
		Wait(cmd)
		t.Fatal("Start of a missing program succeeded")
	}
	if after := size(); after != before {
		t.Errorf("registry grew from %d to %d after a failed Start", before, after)
	}
}

func TestOutput(t *testing.T) {
	tests := []struct {
		name       string
		code       int
		wantErr    bool
		wantStderr string // kept in the ExitError when the command fails
	}{
		{name: "success", code: 0},
		{name: "failure keeps stderr", code: 1, wantErr: true, wantStderr: "complaint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := helperCmd(t, "print-exit", "listing", "complaint", strconv.Itoa(tt.code))
			out, err := Output(cmd)
			if string(out) != "listing" {
				t.Errorf("Output() stdout = %q, want %q", out, "listing")
			}
			var ee *exec.ExitError
			switch {
			case !tt.wantErr && err != nil:
				t.Errorf("Output() error = %v, want nil", err)
			case tt.wantErr && (!errors.As(err, &ee) || ee.ExitCode() != tt.code):
				t.Errorf("Output() error = %v, want exit status %d", err, tt.code)
			case tt.wantErr && string(ee.Stderr) != tt.wantStderr:
				t.Errorf("ExitError.Stderr = %q, want %q", ee.Stderr, tt.wantStderr)
			}
			if registered(cmd.Process.Pid) {
				t.Errorf("pid %d still registered after Output", cmd.Process.Pid)
			}
		})
	}
}

func TestOutputStdoutAlreadySet(t *testing.T) {
	cmd := helperCmd(t, "exit", "0")
	cmd.Stdout = &strings.Builder{}
	if _, err := Output(cmd); err == nil || cmd.Process != nil {
		t.Errorf("Output() = %v with a process %v, want an error and nothing started", err, cmd.Process)
	}
}

// A child that writes far past the cap through exec's pipe copy leaves
// only the cap in memory (an embedded bytes.Buffer let io.Copy's ReadFrom
// take it all).
func TestCappedHoldsThroughExecCopy(t *testing.T) {
	big := strings.Repeat("e", 64<<10)
	cmd := helperCmd(t, "print-exit", "", big, "1")
	_, err := Output(cmd)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || len(ee.Stderr) != stderrCap {
		t.Fatalf("kept %d bytes of 64 KiB of stderr (%v), want the cap %d", len(ee.Stderr), err, stderrCap)
	}
	c := &Capped{Limit: 4}
	if n, err := c.Write([]byte("abcdef")); n != 6 || err != nil || c.String() != "abcd" {
		t.Fatalf("Write = %d, %v, kept %q; want 6, nil, abcd", n, err, c.String())
	}
}
