package diagnose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/hsup/hsup/fdlimit"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultKeep     = 10
	DefaultTimeout  = 10 * time.Second
	DefaultDumpWait = 2 * time.Second
)

// Config says where bundles go and what goes into them. Zero values get
// the defaults above; only Dir has none.
type Config struct {
	Dir     string        // base directory of the bundles; see DefaultDir
	Keep    int           // newest bundles kept (0 = DefaultKeep)
	Timeout time.Duration // deadline of every collector (0 = DefaultTimeout)

	DumpSignal syscall.Signal // sent to the child before the collectors run; 0 = none
	DumpWait   time.Duration  // wait after DumpSignal before the output tail is read (0 = DefaultDumpWait)
	DumpURL    string         // fetched into dump-url.txt, e.g. a Go child's /debug/pprof/goroutine?debug=2; "" = none

	// Nofile is summary.json's nofile_soft when the child's own limit
	// cannot be read (macOS has no /proc/PID/limits): the soft limit hsup
	// knows the child started with; 0 = unknown. NofileSource, written as
	// nofile_source, says where it came from.
	Nofile       uint64
	NofileSource fdlimit.Source

	Tail   *Tail      // the child's recent output, written to output-tail.txt; may be nil
	Health func() any // snapshot for summary.json, marshalled as is; must not block; may be nil
	Log    *zap.Logger

	// Service is the service's name, in summary.json and in every bundle's
	// marker: retention counts and removes only this service's bundles,
	// so services sharing a directory never prune each other's.
	Service string
	Version string // hsup's version, for summary.json
	// Facts, called once at the start of each capture (before the
	// collectors), says what hsup knows about the capture of pid for
	// reason; it must not block. May be nil.
	Facts func(pid int, reason string) Facts
	// Ledger, called with Facts, names the ledger file and the sequence
	// number of the line that records this capture; file "" = none. May be nil.
	Ledger func() (file string, seq int64)
	// AcceptQueue, called with Facts, is the last sample of the child's
	// listening socket: connections waiting to be accepted and the
	// backlog; ok false when there is none. It must not block. May be nil.
	AcceptQueue func() (queue, backlog int, ok bool)

	Now      func() time.Time                     // nil => time.Now; names and dates bundles
	OnBundle func(result string, d time.Duration) // may be nil; result "ok", "partial" or "failed"
}

// Bundle results, as OnBundle and the log report them.
const (
	BundleOK      = "ok"      // every collector succeeded
	BundlePartial = "partial" // written, with some collectors failed
	BundleFailed  = "failed"  // no usable bundle
)

// BundleResults lists the bundle results, for label sets (metrics).
func BundleResults() []string { return []string{BundleOK, BundlePartial, BundleFailed} }

// Capturer writes diagnostics bundles. It is safe for concurrent use, but
// the supervisor captures one bundle at a time.
type Capturer struct {
	cfg Config
	seq sequence // numbers the bundles for retention
}

// New returns a Capturer. It does no I/O: an unusable directory shows up as
// an error from Check or Capture, never as a failure to start.
func New(cfg Config) *Capturer {
	if cfg.Keep <= 0 {
		cfg.Keep = DefaultKeep
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.DumpWait <= 0 {
		cfg.DumpWait = DefaultDumpWait
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Capturer{cfg: cfg}
}

// Check is a pre-flight the caller may log as a warning: it creates the
// directory (0700) if needed, refuses one that is a symlink, owned by
// another uid or writable by group or others (whoever can write there can
// remove or plant bundles), and proves it writable with a temporary file.
// The error is one line saying what is wrong and how to fix it.
func (c *Capturer) Check() error {
	base, err := openBase(c.cfg.Dir, true)
	if err != nil {
		return err
	}
	defer base.Close()
	tmp := ".hsup-check-" + strconv.Itoa(os.Getpid())
	_ = base.Remove(tmp)
	f, err := base.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if err != nil {
		return fmt.Errorf("diagnostics directory %q is not writable (set --diag-dir to a writable directory): %w", c.cfg.Dir, err)
	}
	f.Close()
	return base.Remove(tmp)
}

// Capture writes one bundle for the child pid, started at childStart (zero
// if unknown), because of reason. It returns the bundle directory ("" if
// none could be created) and an error naming what failed; a partial bundle
// comes with both. It returns within Timeout (+ DumpWait when a dump signal
// is configured) + about a second, whatever the collectors do, so the
// restart that follows is never held up.
func (c *Capturer) Capture(ctx context.Context, pid int, reason string, childStart time.Time) (string, error) {
	began, now := time.Now(), c.cfg.Now()
	r := &run{cfg: &c.cfg, pid: pid}
	r.gather(pid, reason)
	in := wedgeInput{queue: c.acceptQueue()}
	b, err := c.openBundle(now, pid, reason, r.facts.Streak)
	if err != nil {
		err = fmt.Errorf("capture diagnostics for pid %d: %w", pid, err)
		c.report("", reason, pid, BundleFailed, began, nil, nil, err)
		return "", err
	}
	defer b.close()
	r.b = b
	health := c.health()
	results := make(map[string]Result)
	dumped := false
	if c.cfg.DumpSignal != 0 {
		t0 := time.Now()
		err := sendSignal(pid, c.cfg.DumpSignal)
		results["dump_signal"], dumped = result(t0, err), err == nil
	}
	cpu := make(chan cpuEvidence, 1)
	cols := append(r.collectors(dumped), collector{name: "thread_cpu", budget: c.cfg.Timeout, run: threadCPU(pid, readThreads, cpu)})
	for k, v := range runAll(ctx, cols) {
		results[k] = v
	}
	in.cpu = received(cpu)
	sum, wedge := r.summaryWith(now, reason, childStart, health, results, in)
	status, errs := outcome(results)
	if err := b.write("summary.json", sum); err != nil {
		status, errs = BundleFailed, append(errs, err)
	}
	if removed, err := prune(c.cfg.Dir, retention{keep: c.cfg.Keep, service: c.cfg.Service}); err != nil {
		errs = append(errs, err)
	} else if len(removed) > 0 {
		c.cfg.Log.Debug("old diagnostics bundles removed", zap.Strings("bundles", removed))
	}
	err = nil
	if len(errs) > 0 {
		err = fmt.Errorf("diagnostics bundle %q incomplete: %w", b.path, errors.Join(errs...))
	}
	c.report(b.path, reason, pid, status, began, failedNames(results), wedge, err)
	return b.path, err
}

// acceptQueue asks Config.AcceptQueue for its last sample; nil when there
// is none.
func (c *Capturer) acceptQueue() *AcceptQueue {
	if c.cfg.AcceptQueue == nil {
		return nil
	}
	if q, backlog, ok := c.cfg.AcceptQueue(); ok {
		return &AcceptQueue{Length: q, Backlog: backlog}
	}
	return nil
}

// gather asks hsup what it knows about this capture (Config.Facts and
// Config.Ledger), before the collectors run, so it shows the state that
// led to the capture.
func (r *run) gather(pid int, reason string) {
	if r.cfg.Facts != nil {
		r.facts = r.cfg.Facts(pid, reason)
	}
	if r.cfg.Ledger != nil {
		if file, seq := r.cfg.Ledger(); file != "" {
			r.ledger = &LedgerRef{File: file, Seq: seq}
		}
	}
	if len(r.facts.Probes) > 0 {
		r.probes = make(map[string]Probe, len(r.facts.Probes))
		for kind, p := range r.facts.Probes {
			p.File = "probe-" + sanitize(kind) + ".txt"
			r.probes[kind] = p
		}
	}
}

// health marshals the caller's health snapshot now, before the collectors
// run, so it shows the state that led to the capture.
func (c *Capturer) health() []byte {
	if c.cfg.Health == nil {
		return []byte("null")
	}
	return marshalHealth(c.cfg.Health())
}

// report logs one line per capture, with the kind of wedge in words (the
// line just before the restart's), and feeds OnBundle.
func (c *Capturer) report(dir, reason string, pid int, status string, began time.Time, failed []string, w *Wedge, err error) {
	d := time.Since(began)
	fields := []zap.Field{
		zap.String("dir", dir), zap.String("reason", reason), zap.Int("pid", pid),
		zap.Int64("ms", d.Milliseconds()), zap.String("result", status), zap.Strings("failed", failed),
	}
	if w != nil {
		fields = append(fields, zap.String("wedge", w.Kind), zap.String("wedge_words", w.Words))
	}
	if err != nil {
		c.cfg.Log.Warn("diagnostics bundle "+status, append(fields, zap.Error(err))...)
	} else {
		c.cfg.Log.Info("diagnostics bundle written", fields...)
	}
	if c.cfg.OnBundle != nil {
		c.cfg.OnBundle(status, d)
	}
}

// outcome is "ok" when every collector succeeded, else "partial" with the
// collectors' errors.
func outcome(results map[string]Result) (string, []error) {
	var errs []error
	for _, n := range failedNames(results) {
		errs = append(errs, fmt.Errorf("%s: %s", n, results[n].Error))
	}
	if len(errs) > 0 {
		return BundlePartial, errs
	}
	return BundleOK, nil
}

func failedNames(results map[string]Result) []string {
	var names []string
	for n, r := range results {
		if !r.OK {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// DefaultDir is where bundles go when --diag-dir is not given:
// $XDG_STATE_HOME/hsup/diagnostics, else ~/.local/state/hsup/diagnostics;
// on macOS ~/Library/Logs/hsup/diagnostics, next to other programs' logs.
// A relative XDG_STATE_HOME is ignored, as the XDG spec requires. It
// returns "" when home is unknown and nothing else applies; the caller
// should then require --diag-dir.
func DefaultDir(goos string, getenv func(string) string, home string) string {
	if goos == "darwin" {
		if home == "" {
			return ""
		}
		return filepath.Join(home, "Library", "Logs", "hsup", "diagnostics")
	}
	if x := getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "hsup", "diagnostics")
	}
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".local", "state", "hsup", "diagnostics")
}
