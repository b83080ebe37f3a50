//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// buildFloor builds test/bench/floor into tmp/floor with the release
// build's flags and an overlay that blank-imports hsup's dependencies
// (floorImports of `go list -deps ./cmd/hsup`, release tags).
func buildFloor(ctx context.Context, tmp string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	goCmd := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
		return cmd
	}
	tags := "-tags=" + strings.Join(releaseTags, ",")
	deps, err := goCmd("list", "-deps", tags, "./cmd/hsup").Output()
	if err != nil {
		return "", fmt.Errorf("floor: go list -deps ./cmd/hsup: %w", err)
	}
	module, err := goCmd("list", "-m").Output()
	if err != nil {
		return "", fmt.Errorf("floor: go list -m: %w", err)
	}
	dir := filepath.Join(tmp, "floor")
	src := filepath.Join(dir, "deps_gen.go")
	imports := floorImports(strings.Fields(string(deps)), strings.TrimSpace(string(module)))
	if err := writeFile(src, floorSource(imports), 0o644); err != nil {
		return "", err
	}
	overlay, _ := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(root, "test", "bench", "floor", "deps_gen.go"): src}})
	if err := writeFile(filepath.Join(dir, "overlay.json"), string(overlay), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "floor")
	out, err := goCmd("build", "-overlay="+filepath.Join(dir, "overlay.json"), "-trimpath", "-ldflags=-s -w", tags,
		"-o", bin, "./test/bench/floor").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build the floor: %w\n%s", err, out)
	}
	return bin, nil
}

// floorEntrant runs the floor with /metrics on a free port of 127.0.0.1,
// waits (10 s at most) for its first answer, and scrapes it as hsup's.
func floorEntrant(ctx context.Context, bin, tmp string) (*entrant, *supProc, error) {
	s, _, err := newSup(tmp, rowFloor)
	if err != nil {
		return nil, nil, err
	}
	mport, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	s.metric = "http://127.0.0.1:" + strconv.Itoa(mport) + "/metrics"
	if err := s.start(bin, "--addr=127.0.0.1:"+strconv.Itoa(mport)); err != nil {
		return nil, s, err
	}
	e := &entrant{row: MemoryRow{Name: rowFloor, Settings: "test/bench/floor, release flags, blank imports of " +
		"go list -deps ./cmd/hsup; Go and process collectors; GOMAXPROCS 1, hsup's soft limit"},
		pid: func() (int, error) { return s.cmd.Process.Pid, nil }}
	e.query = gcQuery(e, s.metric, "go_gc_duration_seconds_count")
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := e.query(ctx)
		if err == nil {
			e.gc = gcRate{} // bring-up is not steady state
			return e, s, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, s, fmt.Errorf("the floor never answered on %s: %w", s.metric, err)
		}
		if !waitClosed(s.done, 50*time.Millisecond) {
			continue
		}
		return nil, s, fmt.Errorf("the floor exited before it answered (log: %s)", filepath.Join(s.dir, "supervisor.log"))
	}
}
