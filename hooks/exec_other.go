//go:build !unix

package hooks

import "os/exec"

// isolate: process groups are a Unix matter; cancellation kills the hook.
func isolate(*exec.Cmd) {}

func killGroup(int) {}
