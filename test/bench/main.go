package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	runs, probes int
	jsonPath     string
	modes, parts string
	fds          string
	hsup         string
	peers        peerOptions
	memory       memoryOptions // memory.go
	stall        stallOptions  // stall.go: the stall, load and quiet parts
}

func main() {
	if name := os.Getenv(helperEnv); name != "" { // bench re-executed as a child (workerpool.go)
		os.Exit(runHelper(name, os.Args[1:]))
	}
	var o options
	flag.IntVar(&o.runs, "runs", 3, "repetitions per failure mode and per diagnostics case (median reported)")
	flag.IntVar(&o.probes, "probes", 3000, "cheap probes (every 10ms) over which hsup's CPU time is measured")
	flag.StringVar(&o.jsonPath, "json", "bench-results/latest.json", "where the results go as JSON")
	flag.StringVar(&o.modes, "modes", "all", "comma-separated failure modes: noaccept,hang,reset,deep,freeze,busy,crash")
	flag.StringVar(&o.parts, "parts", "detect,cpu,diag,restart,wedge,idle,hygiene,memory", "comma-separated parts to run")
	flag.StringVar(&o.fds, "fds", "100,4000", "comma-separated open-FD counts of the child for the diagnostics part")
	flag.StringVar(&o.hsup, "hsup", "", "use this hsup binary instead of building ./cmd/hsup")
	flag.IntVar(&o.peers.restartRuns, "restart-runs", 20, "kill -9 restarts per supervisor in the restart part (median reported)")
	flag.IntVar(&o.peers.wedgeRuns, "wedge-runs", 5, "noaccept wedges per supervisor in the wedge part (median reported)")
	flag.DurationVar(&o.peers.idle, "idle", 60*time.Second, "window of the idle part")
	flag.DurationVar(&o.memory.duration, "memory-duration", 10*time.Minute, "steady-state window of the memory part")
	flag.DurationVar(&o.memory.scrape, "memory-scrape", 15*time.Second, "how often the memory part queries each supervisor's status")
	flag.BoolVar(&o.memory.remedies, "memory-remedies", false, "memory part: also run the hsup builds that measure each remedy")
	o.stall.register(flag.CommandLine)
	flag.IntVar(&o.peers.hygieneProbes, "hygiene-probes", 10000, "probes hsup sends in the hygiene part")
	flag.IntVar(&o.peers.hygieneRestarts, "hygiene-restarts", 500, "restarts of the child in the hygiene part")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	selected, err := selectModes(o.modes)
	if err != nil {
		return err
	}
	sizes, err := parseInts(o.fds)
	if err != nil {
		return fmt.Errorf("--fds: %w", err)
	}
	tmp, err := os.MkdirTemp("", "hsup-bench-")
	if err != nil {
		return fmt.Errorf("make a temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	bin, err := buildHsup(o.hsup, tmp)
	if err != nil {
		return err
	}
	rep := newReport(o)
	err = runParts(ctx, &rep, o, bin, tmp, selected, sizes)
	rep.print(os.Stdout)
	if werr := writeJSON(o.jsonPath, rep); werr != nil && err == nil {
		err = werr
	}
	return err
}

// runParts fills rep part by part and stops at the first error; what was
// measured until then is kept.
func runParts(ctx context.Context, rep *report, o options, bin, tmp string, selected []mode, sizes []int) error {
	var err error
	if strings.Contains(o.parts, "detect") {
		if rep.Detect, err = runDetect(ctx, bin, tmp, o.runs, selected); err != nil {
			return fmt.Errorf("detection: %w", err)
		}
	}
	if strings.Contains(o.parts, "cpu") {
		r, err := runCPU(ctx, bin, tmp, o.probes)
		if err != nil {
			return fmt.Errorf("CPU: %w", err)
		}
		rep.CPU = &r
	}
	if strings.Contains(o.parts, "diag") {
		if rep.Diag, err = runDiag(ctx, bin, tmp, o.runs, sizes); err != nil {
			return fmt.Errorf("diagnostics: %w", err)
		}
	}
	if err := runPeerParts(ctx, rep, o.parts, o.peers, bin, tmp); err != nil {
		return err
	}
	if strings.Contains(o.parts, "memory") {
		if rep.Memory, err = runMemory(ctx, bin, tmp, o.memory); err != nil {
			return fmt.Errorf("memory: %w", err)
		}
	}
	return runStallParts(ctx, rep, o.parts, o.stall, bin, tmp)
}

// buildHsup builds ./cmd/hsup of the module we are run from into dir.
func buildHsup(prebuilt, dir string) (string, error) {
	if prebuilt != "" {
		return filepath.Abs(prebuilt)
	}
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return "", fmt.Errorf("find the hsup module (go env GOMOD): %v; run bench from inside the repository", err)
	}
	bin := filepath.Join(dir, "hsup")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/hsup")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/hsup: %w\n%s", err, out)
	}
	return bin, nil
}

func selectModes(list string) ([]mode, error) {
	if list == "all" {
		return modes, nil
	}
	var out []mode
	for _, name := range strings.Split(list, ",") {
		found := false
		for _, m := range modes {
			if m.name == strings.TrimSpace(name) {
				out, found = append(out, m), true
			}
		}
		if !found {
			return nil, fmt.Errorf("--modes: unknown mode %q; pick from noaccept,hang,reset,deep,freeze,busy,crash", name)
		}
	}
	return out, nil
}

func parseInts(list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive whole number", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func writeJSON(path string, rep report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("make the directory of --json %s: %w", path, err)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write --json %s: %w", path, err)
	}
	return nil
}
