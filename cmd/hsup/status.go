package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/control"
	"github.com/hsup/hsup/ledger"
	"github.com/hsup/hsup/runstate"
	"github.com/hsup/hsup/supervise"
)

// Exit codes of status, restart and capture (LSB's for status).
const (
	exitUnhealthy  = 1 // status: degraded, in backoff, capturing, starting; restart/capture: refused or failed
	exitNotRunning = 3 // no hsup runs for the service
	exitUnknown    = 4 // cannot tell: permission denied, no answer in time
)

// askWait bounds one question to the control socket (status, restart).
const askWait = 3 * time.Second

// serviceFlags pick the service: --name and --state-dir, as run has them.
func serviceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "name", EnvVars: env("name"),
			Usage: "service name (default: the only service under --state-dir)"},
		&cli.StringFlag{Name: "state-dir", EnvVars: env("state-dir"),
			Usage: "directory of the services (default $XDG_STATE_HOME/hsup, ~/.local/state/hsup, macOS ~/Library/Application Support/hsup)"},
	}
}

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show a service's state, its restarts and why, and where the evidence is",
		Description: "Asks the running hsup over its control socket (<state dir>/<name>/control.sock) and reads the\n" +
			"service's ledger (<state dir>/<name>/ledger.jsonl). Without a running hsup it shows what the ledger\n" +
			"says (\"last seen ...\"). Exit codes: 0 running and healthy; 1 degraded, in backoff, capturing, starting\n" +
			"or stopping; 2 bad flags; 3 no hsup runs for the service; 4 cannot tell (permission denied, no answer).",
		Flags: append(serviceFlags(), &cli.BoolFlag{Name: "json", Usage: "print the status as JSON (schema in docs/supervisor.md)"}),
		Action: func(c *cli.Context) error {
			dir, name, err := pickService(c)
			if err != nil {
				return err
			}
			return showStatus(c.App.Writer, dir, name, c.Bool("json"))
		},
	}
}

func restartCommand() *cli.Command {
	return &cli.Command{
		Name:  "restart",
		Usage: "capture a bundle, then restart the child (reason manual)",
		Description: "Asks the running hsup over its control socket. Exit codes: 0 the restart began; 1 refused (a capture\n" +
			"or restart is under way, no child is running) or failed; 2 bad flags; 3 no hsup runs for the service;\n" +
			"4 permission denied, or no answer in time (a paused hsup does not act on it later).",
		Flags: serviceFlags(),
		Action: func(c *cli.Context) error {
			dir, name, err := pickService(c)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), askWait+control.DefaultAskTimeout)
			defer cancel()
			msg, err := control.NewClient(filepath.Join(dir, control.SocketName)).Restart(ctx)
			if err != nil {
				return askFailed(name, "restart", err)
			}
			_, err = fmt.Fprintf(c.App.Writer, "%s: %s\n", name, msg)
			return err
		},
	}
}

func captureCommand() *cli.Command {
	return &cli.Command{
		Name:  "capture",
		Usage: "capture a diagnostics bundle now, without a restart; prints its directory",
		Description: "Asks the running hsup over its control socket and waits for the bundle. Exit codes: 0 the bundle\n" +
			"was written (its path on stdout); 1 refused or failed; 2 bad flags; 3 no hsup runs for the service;\n" +
			"4 permission denied, or no answer within 2 minutes.",
		Flags: serviceFlags(),
		Action: func(c *cli.Context) error {
			dir, name, err := pickService(c)
			if err != nil {
				return err
			}
			// The server bounds the capture (--diag-timeout + 10 s); this bounds the wait for its answer.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			bundle, err := control.NewClient(filepath.Join(dir, control.SocketName)).Capture(ctx)
			if err != nil {
				return askFailed(name, "capture", err)
			}
			_, err = fmt.Fprintln(c.App.Writer, bundle)
			return err
		},
	}
}

// askFailed is the one line and exit code of a restart or capture that
// was not carried out.
func askFailed(name, what string, err error) error {
	code := exitUnhealthy
	switch {
	case errors.Is(err, control.ErrNotRunning):
		code = exitNotRunning
	case errors.Is(err, control.ErrDenied):
		code = exitUnknown
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, control.ErrNoAnswer):
		// No answer in time: hsup does not act on a request past its
		// deadline, yet the answer to one it did act on may be what was lost.
		code = exitUnknown
		err = fmt.Errorf("%w; whether it happened, `hsup status` and the ledger tell", err)
	}
	return cli.Exit(fmt.Sprintf("hsup %s: %s: %v", what, name, err), code)
}

// pickService is the service's directory and name: --name, or the only
// service under the state directory.
func pickService(c *cli.Context) (dir, name string, err error) {
	stateDir := c.String("state-dir")
	if stateDir == "" {
		home, _ := os.UserHomeDir()
		stateDir = runstate.DefaultDir(runtime.GOOS, os.Getenv, home)
	}
	if stateDir == "" {
		return "", "", usageError("no state directory: give --state-dir (the default needs HOME)")
	}
	name = c.String("name")
	if name == "" {
		names := services(stateDir)
		switch len(names) {
		case 0:
			return "", "", cli.Exit(fmt.Sprintf("hsup: no service has run under %s; give --name or --state-dir", stateDir), exitNotRunning)
		case 1:
			name = names[0]
		default:
			return "", "", usageError("several services under %s: give --name (one of %v)", stateDir, names)
		}
	}
	if err := runstate.ValidName(name); err != nil {
		return "", "", usageError("--name: %v", err)
	}
	return filepath.Join(stateDir, name), name, nil
}

// services are the names of the directories under stateDir that an hsup
// used for a service (they hold its lock or ledger), sorted.
func services(stateDir string) []string {
	des, err := os.ReadDir(stateDir)
	if err != nil {
		return nil
	}
	var names []string
	for _, de := range des {
		if !de.IsDir() || runstate.ValidName(de.Name()) != nil {
			continue
		}
		for _, f := range []string{"lock", ledger.FileName} {
			if _, err := os.Lstat(filepath.Join(stateDir, de.Name(), f)); err == nil {
				names = append(names, de.Name())
				break
			}
		}
	}
	slices.Sort(names)
	return names
}

// statusReport is `hsup status --json` (schema 1): the running hsup's
// status (Live, absent when none answered, with Error saying why) and the
// ledger's summary.
type statusReport struct {
	Schema  int             `json:"schema"`
	Name    string          `json:"name"`
	Running bool            `json:"running"` // an hsup answered on the control socket
	Health  string          `json:"health"`  // healthy, unhealthy, not_running, unknown (the exit code's meaning)
	Live    *control.Status `json:"live,omitempty"`
	Error   string          `json:"error,omitempty"` // why Live is absent
	Ledger  ledgerReport    `json:"ledger"`
}

// ledgerReport is the ledger part of statusReport.
type ledgerReport struct {
	File string `json:"file"`
	ledger.Summary
	Error string `json:"error,omitempty"` // why the ledger could not be read
}

// showStatus asks the running hsup and reads the ledger, prints the
// report, and returns the exit code's error (nil for 0).
func showStatus(w io.Writer, dir, name string, asJSON bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), askWait)
	defer cancel()
	live, liveErr := control.NewClient(filepath.Join(dir, control.SocketName)).Status(ctx)
	var sum ledger.Summary
	ledgerErr := within(askWait, "reading the ledger", func() error {
		var err error
		sum, err = ledger.ReadSummary(dir, time.Now())
		return err
	})
	r := newStatusReport(name, dir, live, liveErr, sum, ledgerErr)
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else if _, err := io.WriteString(w, statusTable(r, time.Now())); err != nil {
		return err
	}
	if code := healthCode(r.Health); code != 0 {
		return cli.Exit("", code)
	}
	return nil
}

// newStatusReport puts the answers together and judges the health.
func newStatusReport(name, dir string, live control.Status, liveErr error, sum ledger.Summary, ledgerErr error) statusReport {
	r := statusReport{Schema: 1, Name: name, Ledger: ledgerReport{File: filepath.Join(dir, ledger.FileName), Summary: sum}}
	if ledgerErr != nil {
		r.Ledger.Error = ledgerErr.Error()
	}
	switch {
	case liveErr == nil:
		r.Running, r.Live, r.Health = true, &live, liveHealth(live)
	case errors.Is(liveErr, control.ErrNotRunning):
		r.Health, r.Error = "not_running", liveErr.Error()
	default:
		r.Health, r.Error = "unknown", liveErr.Error()
	}
	return r
}

// liveHealth judges a running hsup's status: healthy only while its child
// runs and is not judged degraded.
func liveHealth(st control.Status) string {
	if st.State == supervise.Running.String() && st.Verdict == nil && !st.Shutdown {
		return "healthy"
	}
	return "unhealthy"
}

// healthCode is status's exit code for a health.
func healthCode(health string) int {
	switch health {
	case "healthy":
		return 0
	case "not_running":
		return exitNotRunning
	case "unknown":
		return exitUnknown
	}
	return exitUnhealthy
}

// statusTable is the report as a person reads it: a headline, then one
// row per fact; what is not known is left out.
func statusTable(r statusReport, now time.Time) string {
	var b strings.Builder
	b.WriteString(statusHeadline(r, now) + "\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	row := func(label, value string) {
		if value != "" {
			fmt.Fprintf(tw, "  %s\t%s\n", label, value)
		}
	}
	if st := r.Live; st != nil {
		liveRows(row, st, now)
	}
	sum := r.Ledger.Summary
	if r.Ledger.Error == "" { // an unreadable ledger counts nothing
		row("restarts", restartsText(sum.Restarts))
	}
	if lr := sum.LastRestart; lr != nil {
		row("last restart", ago(now, lr.At)+": "+verdictText(lr.Reason, lr.Sentence))
		row("its bundle", lr.Bundle)
	}
	if r.Live != nil && r.Live.LastBundle != "" && (sum.LastRestart == nil || sum.LastRestart.Bundle != r.Live.LastBundle) {
		row("last bundle", r.Live.LastBundle)
	}
	ledgerRow := r.Ledger.File
	if !sum.LastSeen.IsZero() {
		ledgerRow += ", last line " + ago(now, sum.LastSeen)
	}
	if r.Ledger.Error != "" {
		ledgerRow += " (unreadable: " + r.Ledger.Error + ")"
	}
	row("ledger", ledgerRow)
	_ = tw.Flush()
	return b.String()
}

// statusHeadline is the first line: the name, and whether hsup runs and its child is healthy.
func statusHeadline(r statusReport, now time.Time) string {
	switch st := r.Live; {
	case st != nil:
		h := r.Name + ": " + st.State
		if r.Health == "healthy" {
			h += ", healthy"
		}
		if st.Child != nil {
			h += fmt.Sprintf(" (pid %d, up %s)", st.Child.Pid, human(time.Duration(st.Child.UptimeMS)*time.Millisecond))
		}
		return h
	case r.Health == "unknown":
		return r.Name + ": cannot tell whether hsup runs: " + r.Error
	}
	sum := r.Ledger.Summary
	if sum.LastSeen.IsZero() {
		return r.Name + ": no hsup is running (the ledger has nothing about it)"
	}
	h := fmt.Sprintf("%s: no hsup is running; last seen %s (%s)", r.Name, ago(now, sum.LastSeen), sum.LastSeen.UTC().Format("2006-01-02 15:04:05 UTC"))
	if sum.Stopped != nil {
		return h + fmt.Sprintf(", stopped with status %d", sum.Stopped.Code)
	}
	return h + ", with no stop recorded (killed, or the machine went down)"
}

// liveRows are the rows only a running hsup can tell.
func liveRows(row func(label, value string), st *control.Status, now time.Time) {
	row("hsup", fmt.Sprintf("pid %d, up %s, %s", st.Hsup.Pid, human(time.Duration(st.Hsup.UptimeMS)*time.Millisecond), st.Hsup.Version))
	if st.Verdict != nil {
		row("verdict", verdictText(st.Verdict.Reason, st.Verdict.Sentence))
	}
	if bo := st.Backoff; bo != nil {
		row("backoff", fmt.Sprintf("next start in %s (delay %s)", human(time.Duration(bo.RemainingMS)*time.Millisecond),
			human(time.Duration(bo.DelayMS)*time.Millisecond)))
	}
	if p := st.Probes; p != nil {
		row("probes", probesText(p, now))
	}
	if hb := st.Heartbeat; hb != nil {
		v := fmt.Sprintf("%g", hb.Value)
		if !hb.AdvancedAt.IsZero() {
			v += ", advanced " + ago(now, hb.AdvancedAt)
		}
		row("heartbeat", v)
	}
	if f := st.FDs; f != nil {
		row("open FDs", fdsText(f))
	}
	if st.LastExitCode != nil {
		row("last exit", fmt.Sprintf("status %d", *st.LastExitCode))
	}
}

func probesText(p *control.Probes, now time.Time) string {
	var parts []string
	for _, k := range []struct {
		name string
		p    *control.Probe
	}{{"cheap", p.Cheap}, {"deep", p.Deep}} {
		if k.p == nil {
			continue
		}
		s := k.name + " " + k.p.Result
		if k.p.Status != 0 {
			s += fmt.Sprintf(" (%d)", k.p.Status)
		}
		s += fmt.Sprintf(" %.1fms", k.p.LatencyMS)
		if !k.p.At.IsZero() {
			s += " " + ago(now, k.p.At)
		}
		parts = append(parts, s)
	}
	return strings.Join(append(parts, fmt.Sprintf("%d failed in a row", p.Failures)), "; ")
}

func fdsText(f *control.FDs) string {
	s := fmt.Sprint(f.Open)
	if f.Limit > 0 {
		s += fmt.Sprintf(" of %d (%.0f%%)", f.Limit, 100*float64(f.Open)/float64(f.Limit))
	}
	if len(f.Trend) < 2 {
		return s + "; no trend yet (one sample a minute)"
	}
	first, peak := f.Trend[0], 0
	for _, x := range f.Trend {
		peak = max(peak, x.Open)
	}
	span := human(f.Trend[len(f.Trend)-1].At.Sub(first.At))
	return s + fmt.Sprintf("; over the last %s %d -> %d, at most %d", span, first.Open, f.Trend[len(f.Trend)-1].Open, peak)
}

// restartsText is "1 in the last hour (health), 3 today (...), 5 this week (...)".
func restartsText(ws []ledger.Window) string {
	var parts []string
	for _, w := range ws {
		s := fmt.Sprintf("%d in the last %s", w.Count, w.Span)
		if len(w.Reasons) > 0 {
			var rs []string
			for _, reason := range slices.Sorted(maps.Keys(w.Reasons)) {
				rs = append(rs, fmt.Sprintf("%s %d", reason, w.Reasons[reason]))
			}
			s += " (" + strings.Join(rs, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func verdictText(reason, sentence string) string {
	if sentence == "" {
		return reason
	}
	return reason + ": " + sentence
}

// ago is "3m12s ago" ("in 2s" for a time after now).
func ago(now, t time.Time) string {
	if d := now.Sub(t); d >= 0 {
		return human(d) + " ago"
	}
	return "in " + human(t.Sub(now))
}

// human rounds a duration for a person: ms below a second, tenths of a
// second below 10 s, seconds below an hour, minutes above.
func human(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}
