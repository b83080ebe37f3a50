package fdlimit

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestCountLsofFields(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want int
	}{
		{name: "descriptors and mappings", out: "p42\nfcwd\nftxt\nfmem\nf0\nf1\nf2\nf17\n", want: 4},
		{name: "empty", out: "", want: 0},
		{name: "no trailing newline", out: "p1\nf3", want: 1},
		{name: "other fields ignored", out: "p1\ncpython\nf3\nn/tmp/state.db\n", want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CountLsofFields([]byte(tt.out)); got != tt.want {
				t.Fatalf("CountLsofFields() = %d, want %d", got, tt.want)
			}
		})
	}
}

// inheritSlack allows for descriptors without close-on-exec that the test
// binary inherited from whatever started it and passes on to its children.
const inheritSlack = 8

// startHolder starts `sleep` holding extra open files: stdin, stdout,
// stderr plus extra.
func startHolder(t testing.TB, extra int) *exec.Cmd {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatalf("this test needs sleep on PATH: %v", err)
	}
	path := filepath.Join(t.TempDir(), "state.db")
	cmd := exec.Command(sleep, "600")
	for range extra {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

func TestCountLsofRealChild(t *testing.T) {
	if _, err := exec.LookPath("lsof"); err != nil {
		t.Skipf("lsof not on PATH (macOS always has it): %v", err)
	}
	got, err := countLsof(startHolder(t, 40).Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if got < 3+40 || got > 3+40+inheritSlack {
		t.Fatalf("countLsof() = %d, want 3+40 (+ at most %d inherited)", got, inheritSlack)
	}
}

func TestCountLsofNoProcess(t *testing.T) {
	if _, err := exec.LookPath("lsof"); err != nil {
		t.Skipf("lsof not on PATH: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := countLsof(cmd.Process.Pid); err == nil {
		t.Fatal("countLsof() of an exited process: want an error")
	}
}
