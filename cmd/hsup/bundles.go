package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/diagnose"
)

// What `hsup bundles show` prints at most.
const (
	showTopFiles   = 10
	showTailLines  = 20
	showLineRunes  = 200
	listCauseRunes = 100
	maxTailRead    = 1 << 20 // output-tail.txt is 256 KiB
)

// exitNoBundle: show found no bundle, or several, for the ID given.
const exitNoBundle = 1

func bundlesCommand() *cli.Command {
	flags := func() []cli.Flag {
		return []cli.Flag{
			&cli.StringFlag{Name: "name", EnvVars: env("name"),
				Usage: "the service whose bundles to read (default: every service under the default directory)"},
			&cli.StringFlag{Name: "diag-dir", EnvVars: env("diag-dir"),
				Usage: "the --diag-dir hsup run was given (default: the per-service default of hsup run)"},
		}
	}
	return &cli.Command{
		Name:  "bundles",
		Usage: "list the diagnostics bundles, newest first: time, pid, reason, size, cause",
		Description: "Reads the bundles hsup run wrote: under --diag-dir, or the default directory of --name (all services\n" +
			"without --name). `hsup bundles show ID` prints one: ID is a bundle's directory name, a unique prefix\n" +
			"of it, or \"latest\". Exit codes: 0; 1 no bundle matches the ID (or several do), or the directory is\n" +
			"unusable; 2 bad flags.",
		Flags: flags(),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("hsup bundles takes no arguments; to print one bundle: hsup bundles show %s", c.Args().First())
			}
			found, where, err := findBundles(c)
			if err != nil {
				return err
			}
			if len(found) == 0 {
				_, err := fmt.Fprintf(c.App.Writer, "no bundles in %s\n", where)
				return err
			}
			return formatList(c.App.Writer, found, time.Local)
		},
		Subcommands: []*cli.Command{{
			Name:      "show",
			Usage:     "print a bundle's summary: the cause, top files, threads, failing checks, last output, its files",
			ArgsUsage: "ID|latest",
			Flags:     flags(),
			Action:    showBundle,
		}},
	}
}

func showBundle(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageError("give one bundle: hsup bundles show [--name N] ID (a directory name, a unique prefix, or latest)")
	}
	found, where, err := findBundles(c)
	if err != nil {
		return err
	}
	b, err := pickBundle(found, c.Args().First())
	if err != nil {
		return cli.Exit(fmt.Sprintf("hsup: %v (in %s; hsup bundles lists them)", err, where), exitNoBundle)
	}
	tail, err := diagnose.ReadFile(b, "output-tail.txt", maxTailRead)
	if err != nil {
		tail = nil // no output tail (no child output, or a capture cut short): shown as none
	}
	return formatShow(c.App.Writer, b, tail, time.Local)
}

// findBundles reads the bundles the flags point at, newest first, and
// says where it looked (the first directory).
func findBundles(c *cli.Context) ([]diagnose.Saved, string, error) {
	name, dir := lineageString(c, "name"), lineageString(c, "diag-dir")
	home, _ := os.UserHomeDir()
	base := diagnose.DefaultDir(runtime.GOOS, os.Getenv, home)
	var services []string
	if dir == "" && name == "" && base != "" {
		services = subdirs(base)
	}
	sources, err := bundleSources(name, dir, base, services)
	if err != nil {
		return nil, "", err
	}
	var found []diagnose.Saved
	for _, src := range sources {
		saved, err := diagnose.List(src.dir)
		if err != nil {
			return nil, "", cli.Exit("hsup: "+err.Error(), exitNoBundle)
		}
		found = append(found, src.keep(saved)...)
	}
	return newestFirst(found), sources[0].dir, nil
}

// lineageString is flag name from the innermost command that was given it
// (`hsup bundles --name N show` and `hsup bundles show --name N` alike).
func lineageString(c *cli.Context, name string) string {
	for _, cc := range c.Lineage() {
		if cc.Command != nil && cc.IsSet(name) {
			return cc.String(name)
		}
	}
	return ""
}

// subdirs names the directories in dir (the services' bundle directories
// under the default one); none when it cannot be read.
func subdirs(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// bundleSource is one directory to list, and the service whose bundles
// count there ("" = any).
type bundleSource struct{ dir, service string }

func (s bundleSource) keep(saved []diagnose.Saved) []diagnose.Saved {
	if s.service == "" {
		return saved
	}
	return slices.DeleteFunc(saved, func(b diagnose.Saved) bool { return b.Service != s.service })
}

// bundleSources decides where `hsup bundles` looks, as hsup run decides
// where bundles go: --diag-dir as given (only --name's bundles when it is
// given too, as services may share it); else the default directory of
// --name, and the default base itself, where an hsup without a name at
// the time (or an older hsup) put them; without --name, the base and
// every service's directory in it (services).
func bundleSources(name, diagDir, base string, services []string) ([]bundleSource, error) {
	switch {
	case diagDir != "":
		return []bundleSource{{dir: diagDir, service: name}}, nil
	case base == "":
		return nil, usageError("no default diagnostics directory (no home directory): give --diag-dir")
	case name != "":
		return []bundleSource{{dir: filepath.Join(base, name), service: name}, {dir: base, service: name}}, nil
	}
	out := []bundleSource{{dir: base}}
	for _, s := range services {
		out = append(out, bundleSource{dir: filepath.Join(base, s)})
	}
	return out, nil
}

// newestFirst sorts bundles from several directories newest first and
// drops duplicates.
func newestFirst(found []diagnose.Saved) []diagnose.Saved {
	slices.SortFunc(found, func(a, b diagnose.Saved) int {
		if c := b.Written.Compare(a.Written); c != 0 {
			return c
		}
		return strings.Compare(b.Dir, a.Dir)
	})
	return slices.CompactFunc(found, func(a, b diagnose.Saved) bool { return a.Dir == b.Dir })
}

var errNoBundle = errors.New("no such bundle")

// pickBundle finds the bundle id names among found (newest first): the
// newest for "latest", else the one whose directory name is id, else the
// one whose name starts with id.
func pickBundle(found []diagnose.Saved, id string) (diagnose.Saved, error) {
	if id == "latest" {
		if len(found) == 0 {
			return diagnose.Saved{}, fmt.Errorf("%w: there are no bundles", errNoBundle)
		}
		return found[0], nil
	}
	var exact, prefixed []diagnose.Saved
	for _, b := range found {
		switch {
		case b.ID == id:
			exact = append(exact, b)
		case id != "" && strings.HasPrefix(b.ID, id):
			prefixed = append(prefixed, b)
		}
	}
	matches := exact
	if len(matches) == 0 {
		matches = prefixed
	}
	switch len(matches) {
	case 0:
		return diagnose.Saved{}, fmt.Errorf("%w %q", errNoBundle, id)
	case 1:
		return matches[0], nil
	}
	var names []string
	for _, b := range matches[:min(len(matches), 3)] {
		names = append(names, b.Dir)
	}
	return diagnose.Saved{}, fmt.Errorf("%q names %d bundles (%s...): give more of the name, or --name", id, len(matches), strings.Join(names, ", "))
}

// formatList writes the bundles as a table, newest first: time (in loc),
// service (when there are several), pid, reason, size, ID, cause.
func formatList(w io.Writer, found []diagnose.Saved, loc *time.Location) error {
	services := map[string]bool{}
	for _, b := range found {
		services[b.Service] = true
	}
	many := len(services) > 1
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "TIME\tPID\tREASON\tSIZE\tID\tCAUSE"
	if many {
		head = "TIME\tSERVICE\tPID\tREASON\tSIZE\tID\tCAUSE"
	}
	fmt.Fprintln(tw, head)
	for _, b := range found {
		reason, cause := "?", "(no summary.json: the capture was cut short)"
		if s := b.Summary; s != nil {
			reason, cause = s.Reason, oneLineCause(*s)
		}
		row := []string{b.Written.In(loc).Format(time.DateTime), strconv.Itoa(b.PID), printable(reason),
			size(b.Size()), printable(b.ID), clip(printable(cause), listCauseRunes)}
		if many {
			row = slices.Insert(row, 1, orDash(printable(b.Service)))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// oneLineCause is the list's one-line cause: the failing deep checks and a
// leaking file when the bundle shows them (the reason has its own column),
// else the verdict's sentence, else the cause.
func oneLineCause(s diagnose.Summary) string {
	var parts []string
	for _, c := range s.FailingChecks {
		p := c.Name + " " + c.Status
		if c.Error != "" {
			p += " (" + c.Error + ")"
		}
		parts = append(parts, p)
	}
	if top, ok := s.Leak(); ok {
		parts = append(parts, fmt.Sprintf("%d of %d fds on %s", top.Count, *s.OpenFDs, filepath.Base(top.Path)))
	}
	switch {
	case len(parts) > 0:
		return strings.Join(parts, "; ")
	case s.Verdict != nil && s.Verdict.Sentence != "":
		return s.Verdict.Sentence
	}
	return s.Cause
}

// formatShow writes what an operator reads first about bundle b: the kind
// of wedge in words (bundles that name it), the cause, the top files, the threads, the failing deep checks, the last
// probes, the last lines of output (tail: output-tail.txt, nil if none)
// and the bundle's files.
func formatShow(w io.Writer, b diagnose.Saved, tail []byte, loc *time.Location) error {
	var out bytes.Buffer
	s := b.Summary
	if s == nil {
		s = &diagnose.Summary{Reason: "?", Cause: "no summary.json: the capture was cut short; see its files"}
	}
	if s.Wedge != nil && s.Wedge.Words != "" { // the first line says what kind of wedge it was
		fmt.Fprintf(&out, "wedge    %s (%s)\n", printable(s.Wedge.Words), printable(strings.Join(s.Wedge.Kinds, ", ")))
	}
	fmt.Fprintf(&out, "bundle   %s\n", printable(b.Dir))
	fmt.Fprintf(&out, "service  %s, pid %d%s, captured %s\n", orDash(printable(b.Service)), b.PID, uptime(s), b.Written.In(loc).Format(time.DateTime+" MST"))
	fmt.Fprintf(&out, "cause    %s\n", printable(s.Cause))
	if s.Ledger != nil {
		fmt.Fprintf(&out, "ledger   %s, line seq %d\n", printable(s.Ledger.File), s.Ledger.Seq)
	}
	showFiles(&out, s)
	showThreads(&out, s)
	showChecks(&out, s)
	showProbes(&out, s, loc)
	showTail(&out, tail)
	fmt.Fprintf(&out, "\nfiles:\n")
	for _, f := range b.Files {
		fmt.Fprintf(&out, "  %9s  %s\n", size(f.Size), printable(filepath.Join(b.Dir, f.Name)))
	}
	_, err := w.Write(out.Bytes())
	return err
}

func uptime(s *diagnose.Summary) string {
	if s.UptimeSeconds == nil {
		return ""
	}
	return ", up " + time.Duration(*s.UptimeSeconds*float64(time.Second)).Round(100*time.Millisecond).String()
}

func showFiles(out *bytes.Buffer, s *diagnose.Summary) {
	if s.OpenFDs == nil {
		fmt.Fprintf(out, "\nopen files: unknown (no lsof listing, no /proc)\n")
		return
	}
	limit := ""
	if s.NofileSoft != nil {
		limit = ", soft limit " + strconv.FormatUint(*s.NofileSoft, 10)
	}
	fmt.Fprintf(out, "\nopen files: %d (from %s%s)\n", *s.OpenFDs, s.FDSource, limit)
	for _, f := range s.TopFiles[:min(len(s.TopFiles), showTopFiles)] {
		fmt.Fprintf(out, "  %6d  %s\n", f.Count, printable(f.Path))
	}
}

func showThreads(out *bytes.Buffer, s *diagnose.Summary) {
	if s.Threads == nil {
		return
	}
	fmt.Fprintf(out, "\nthreads: %d (threads.txt)\n", *s.Threads)
	for _, t := range s.ThreadStates {
		fmt.Fprintf(out, "  %6d  %s %s\n", t.Count, printable(t.State), printable(t.Wchan))
	}
}

func showChecks(out *bytes.Buffer, s *diagnose.Summary) {
	if len(s.FailingChecks) == 0 {
		return
	}
	fmt.Fprintf(out, "\nfailing deep checks:\n")
	for _, c := range s.FailingChecks {
		line := "  " + c.Name + ": " + c.Status
		if c.Error != "" {
			line += " (" + c.Error + ")"
		}
		fmt.Fprintln(out, printable(line))
	}
}

func showProbes(out *bytes.Buffer, s *diagnose.Summary, loc *time.Location) {
	kinds := slices.Sorted(maps.Keys(s.Probes))
	if len(kinds) == 0 {
		return
	}
	fmt.Fprintf(out, "\nlast probes:\n")
	for _, k := range kinds {
		p := s.Probes[k]
		answer := "no HTTP answer"
		if p.Status != 0 {
			answer = "HTTP " + strconv.Itoa(p.Status)
		}
		line := fmt.Sprintf("  %-5s %s, %s, %s ms at %s", k, p.Result, answer, strconv.FormatFloat(p.MS, 'f', -1, 64), p.At.In(loc).Format(time.TimeOnly))
		if p.Detail != "" {
			line += ": " + p.Detail
		}
		if p.File != "" {
			line += " (" + p.File + ")"
		}
		fmt.Fprintln(out, clip(printable(line), showLineRunes))
	}
}

func showTail(out *bytes.Buffer, tail []byte) {
	lines := strings.Split(strings.TrimRight(string(tail), "\n"), "\n")
	if len(tail) == 0 {
		fmt.Fprintf(out, "\nlast output: none\n")
		return
	}
	lines = lines[max(len(lines)-showTailLines, 0):]
	fmt.Fprintf(out, "\nlast output (output-tail.txt, last %d lines):\n", len(lines))
	for _, l := range lines {
		fmt.Fprintf(out, "  | %s\n", clip(printable(l), showLineRunes))
	}
}

// printable replaces what a terminal would act on (control characters,
// escape sequences, invalid UTF-8) with U+FFFD: bundles hold what the
// child wrote, which must not drive the operator's terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\t') || unicode.Is(unicode.Bidi_Control, r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// clip shortens s to n runes, marking the cut with "...".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-3]) + "..."
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// size is n bytes for people: B, KiB or MiB.
func size(n int64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}
