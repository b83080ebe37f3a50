//go:build unix

package hooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "notify")
	plain := filepath.Join(dir, "plain")
	for path, mode := range map[string]os.FileMode{script: 0o755, plain: 0o644} {
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+":/usr/bin:/bin")
	t.Chdir(dir)
	tests := []struct {
		name, program, want, err string
	}{
		{name: "absolute", program: script, want: script},
		{name: "on PATH", program: "notify", want: script},
		{name: "relative, made absolute", program: "./notify", want: script},
		{name: "missing", program: filepath.Join(dir, "nope"), err: "not found: give an absolute path or put it on PATH"},
		{name: "missing on PATH", program: "nope", err: "not found"},
		{name: "not executable", program: plain, err: "cannot be executed"},
		{name: "a directory", program: dir, err: "is a directory"},
		{name: "empty", program: "", err: "no program given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.program)
			switch {
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("Resolve(%q) = %q, %v; want an error saying %q", tt.program, got, err, tt.err)
			case tt.err == "" && (err != nil || got != tt.want):
				t.Errorf("Resolve(%q) = %q, %v; want %q", tt.program, got, err, tt.want)
			}
		})
	}
}
