package diagnose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"time"
)

// maxDumpURL caps the body fetched from Config.DumpURL.
const maxDumpURL = 8 << 20

// run is one capture in progress. Each collector sets only its own fields;
// they are read after its result arrived, never while it may still run.
type run struct {
	cfg *Config
	pid int
	b   *bundle

	// Set before the collectors start (gather), read-only after.
	facts  Facts
	ledger *LedgerRef
	probes map[string]Probe // facts.Probes with their file names

	lsofFDs      []fdEntry     // lsof
	procFDs      []fdLink      // proc_fds (Linux)
	threads      int           // threads
	threadStates []ThreadState // threads (Linux)
	nofile       uint64        // limits (Linux)
	hasLimit     bool          // limits (Linux)
}

// collectors lists what this capture collects. Tools absent are left out
// rather than recorded as failures: a host without py-spy is not a broken
// capture. Which tool collectors run is planTools' pure decision.
func (r *run) collectors(dumped bool) []collector {
	t := r.cfg.Timeout
	cols := []collector{{name: "hsup_goroutines", budget: t, run: r.goroutines}}
	plan := planTools(runtime.GOOS, os.Geteuid(), func(name string) (string, bool) {
		return findTool(runtime.GOOS, name, isExecutable, exec.LookPath)
	})
	for _, p := range plan {
		switch {
		case p.skip != "":
			reason := p.skip
			cols = append(cols, collector{name: p.name, budget: t, run: func(context.Context) error { return skipped(reason) }})
		case p.name == "lsof":
			cols = append(cols, collector{name: p.name, budget: t, run: func(ctx context.Context) error { return r.lsof(ctx, p.path) }})
		case p.name == "py_spy":
			cols = append(cols, collector{name: p.name, budget: t, run: func(ctx context.Context) error { return r.pySpy(ctx, p.path) }})
		default:
			if mk := platformTools[p.name]; mk != nil {
				cols = append(cols, collector{name: p.name, budget: t, run: mk(r, p.path)})
			}
		}
	}
	if r.cfg.DumpURL != "" {
		cols = append(cols, collector{name: "dump_url", budget: t, run: r.dumpURL})
	}
	if len(r.probes) > 0 {
		cols = append(cols, collector{name: "probes", budget: t, run: r.probeFiles})
	}
	if r.cfg.Tail != nil {
		wait := time.Duration(0)
		if dumped {
			wait = r.cfg.DumpWait
		}
		cols = append(cols, collector{name: "output_tail", budget: t + wait, run: func(ctx context.Context) error { return r.outputTail(ctx, wait) }})
	}
	return append(cols, r.platformCollectors()...)
}

// platformTools makes the run function of a tool collector that only one
// platform has (sample and ps on macOS), keyed by collector name; set by
// that platform's init. A planned name missing here is not collected.
var platformTools = map[string]func(r *run, path string) func(context.Context) error{}

// toolPlan is one tool collector: the result's name, the tool's path, and
// why it is skipped ("" = it runs).
type toolPlan struct {
	name string
	path string
	skip string
}

// planTools decides the tool collectors from the platform, hsup's
// effective uid and which tools exist (find returns a tool's path). It does
// no I/O, so every platform's table is tested on Linux.
//
//   - lsof, py-spy everywhere when found; on macOS py-spy needs root to read
//     another process's memory, so without root it is recorded as skipped
//     with the reason instead of failing every bundle;
//   - on macOS also sample (threads.txt), ps of the child's process group
//     (ps-group.txt) and ps -M of its threads (ps-threads.txt).
func planTools(goos string, euid int, find func(name string) (string, bool)) []toolPlan {
	var plan []toolPlan
	add := func(name, tool, skip string) {
		if path, ok := find(tool); ok {
			plan = append(plan, toolPlan{name: name, path: path, skip: skip})
		}
	}
	add("lsof", "lsof", "")
	pySkip := ""
	if goos == "darwin" && euid != 0 {
		pySkip = "py-spy needs root on macOS (hsup runs as uid " + strconv.Itoa(euid) + "); use --dump-signal with Python's faulthandler for Python stacks"
	}
	add("py_spy", "py-spy", pySkip)
	if goos == "darwin" {
		add("threads", "sample", "")
		add("ps_group", "ps", "")
		add("ps_threads", "ps", "")
	}
	return plan
}

// darwinTools are where macOS installs the tools hsup runs. They are used
// before PATH, which under launchd may lack /usr/sbin or hold shims. Tests
// on macOS that put fakes on PATH clear it.
var darwinTools = map[string]string{
	"lsof":   "/usr/sbin/lsof",
	"sample": "/usr/bin/sample",
	"ps":     "/bin/ps",
}

// findTool returns the path of tool name: on macOS its system path when
// that is an executable file, else the first match on PATH.
func findTool(goos, name string, isExec func(string) bool, lookPath func(string) (string, error)) (string, bool) {
	if goos == "darwin" {
		if p, ok := darwinTools[name]; ok && isExec(p) {
			return p, true
		}
	}
	p, err := lookPath(name)
	return p, err == nil
}

// isExecutable reports whether path is a regular file someone may execute.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// maxGoroutineDump caps hsup's own goroutine dump: a few dozen goroutines
// need a few KiB, so only a runaway leak is cut.
const maxGoroutineDump = 4 << 20

// goroutines dumps hsup's goroutines with runtime.Stack, the text of
// pprof's goroutine profile at debug=2. It does not use runtime/pprof:
// linking it links runtime.MemProfile, which keeps the runtime's heap
// sampling on, and the buckets it fills stay for hsup's life. Without
// it (the release build has no --pprof) the linker turns sampling off.
func (r *run) goroutines(context.Context) error {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= maxGoroutineDump {
			return r.b.write("hsup-goroutines.txt", buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// lsof writes lsof.txt and parses it for top_files. Whatever lsof printed
// is kept even when it failed; it counts as a source only with a heading.
func (r *run) lsof(ctx context.Context, path string) error {
	out, runErr := runCmd(ctx, path, "-nP", "-p", strconv.Itoa(r.pid))
	if len(out) > 0 {
		if err := r.b.write("lsof.txt", out); err != nil {
			return err
		}
	}
	entries, err := parseLsof(out)
	if err != nil {
		if runErr != nil {
			return runErr
		}
		return err
	}
	r.lsofFDs = entries
	return nil
}

func (r *run) pySpy(ctx context.Context, path string) error {
	out, err := runCmd(ctx, path, "dump", "--pid", strconv.Itoa(r.pid))
	if len(out) > 0 {
		if werr := r.b.write("py-stack.txt", out); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// dumpURL fetches Config.DumpURL on a fresh connection, bounded by the
// collector's deadline and maxDumpURL bytes.
func (r *run) dumpURL(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.DumpURL, nil)
	if err != nil {
		return fmt.Errorf("dump URL %q: %w", r.cfg.DumpURL, err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch dump URL: %w", err)
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxDumpURL))
	if err := r.b.write("dump-url.txt", body); err != nil {
		return err
	}
	if readErr != nil {
		return fmt.Errorf("read dump URL body: %w", readErr)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch dump URL: HTTP %d", resp.StatusCode)
	}
	return nil
}

// probeFiles writes probe-<kind>.txt for each kind of probe hsup ran.
func (r *run) probeFiles(context.Context) error {
	var errs []error
	for _, kind := range slices.Sorted(maps.Keys(r.probes)) {
		p := r.probes[kind]
		if err := r.b.write(p.File, probeFile(kind, p)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// outputTail waits for the child to answer the dump signal, then writes
// the tail. If the capture is cancelled first, what is there is written.
func (r *run) outputTail(ctx context.Context, wait time.Duration) error {
	if wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
		}
	}
	return r.b.write("output-tail.txt", r.cfg.Tail.Bytes())
}
