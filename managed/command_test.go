package managed

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestArgv(t *testing.T) {
	tests := []struct {
		name    string
		cmd     Command
		want    []string
		wantErr string
	}{
		{
			name: "flags and arguments",
			cmd: Command{Hsup: "/usr/local/bin/hsup", RunArgs: []string{"--nofile=8192", "--stop-grace=20s"},
				Program: "/usr/bin/python3", Args: []string{"server.py", "--", ""}},
			want: []string{"/usr/local/bin/hsup", "run", "--nofile=8192", "--stop-grace=20s", "--", "/usr/bin/python3", "server.py", "--", ""},
		},
		{
			name: "no flags, no arguments",
			cmd:  Command{Hsup: "/h", Program: "/p"},
			want: []string{"/h", "run", "--", "/p"},
		},
		{name: "relative hsup", cmd: Command{Hsup: "bin/hsup", Program: "/p"}, wantErr: "hsup path"},
		{name: "empty hsup", cmd: Command{Program: "/p"}, wantErr: "hsup path"},
		{name: "relative program", cmd: Command{Hsup: "/h", Program: "python3"}, wantErr: "absolute path"},
		{name: "empty program", cmd: Command{Hsup: "/h"}, wantErr: "absolute path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cmd.Argv()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("Argv error = %v, want one line containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Argv = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestStopTimeout(t *testing.T) {
	tests := []struct {
		grace, want time.Duration
	}{
		{grace: 0, want: 5 * time.Second},
		{grace: 10 * time.Second, want: 15 * time.Second},
		{grace: 1500 * time.Millisecond, want: 6500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.grace.String(), func(t *testing.T) {
			if got := (Command{StopGrace: tt.grace}).StopTimeout(); got != tt.want {
				t.Fatalf("StopTimeout = %s, want %s", got, tt.want)
			}
		})
	}
}

func ExampleCommand_Argv() {
	c := Command{Hsup: "/usr/local/bin/hsup", RunArgs: []string{"--stop-grace=20s"},
		Program: "/usr/bin/python3", Args: []string{"server.py"}, StopGrace: 20 * time.Second}
	argv, _ := c.Argv()
	fmt.Printf("%q, stop timeout %s\n", argv, c.StopTimeout())
	// Output: ["/usr/local/bin/hsup" "run" "--stop-grace=20s" "--" "/usr/bin/python3" "server.py"], stop timeout 25s
}
