package diagnose

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"runtime/pprof"
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

	lsofFDs  []fdEntry // lsof
	procFDs  []fdLink  // proc_fds (Linux)
	threads  int       // threads
	nofile   uint64    // limits (Linux)
	hasLimit bool      // limits (Linux)
}

// collectors lists what this capture collects. Tools absent from PATH are
// left out rather than recorded as failures: a host without py-spy is not
// a broken capture.
func (r *run) collectors(dumped bool) []collector {
	t := r.cfg.Timeout
	cols := []collector{{name: "hsup_goroutines", budget: t, run: r.goroutines}}
	if path, err := exec.LookPath("lsof"); err == nil {
		cols = append(cols, collector{name: "lsof", budget: t, run: func(ctx context.Context) error { return r.lsof(ctx, path) }})
	}
	if path, err := exec.LookPath("py-spy"); err == nil {
		cols = append(cols, collector{name: "py_spy", budget: t, run: func(ctx context.Context) error { return r.pySpy(ctx, path) }})
	}
	if r.cfg.DumpURL != "" {
		cols = append(cols, collector{name: "dump_url", budget: t, run: r.dumpURL})
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

func (r *run) goroutines(context.Context) error {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		return fmt.Errorf("dump hsup's goroutines: %w", err)
	}
	return r.b.write("hsup-goroutines.txt", buf.Bytes())
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
