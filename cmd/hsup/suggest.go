package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// A mistyped command or flag, or a duration without its unit, is one line
// that says what was meant. Go's flag package reports a refused flag as
// text only, so the line is not read out of its error: the command's own
// arguments (and the HSUP_* variables) are read again, the way the parser
// reads them, by usageHint.

// usageLine is the one line for a usage error of the command run in cc:
// the hint usageHint finds in its arguments, else err as urfave/cli says
// it, then where to read more.
func usageLine(cc *cli.Context, err error) error {
	msg := err.Error()
	if lin := cc.Lineage(); len(lin) > 1 && lin[1].Command != nil {
		// The parent parsed its own flags: its arguments are this
		// command's name and everything after it, as given.
		if hint := usageHint(cc.Command.Flags, lin[1].Args().Tail(), os.Getenv); hint != "" {
			msg = hint
		}
	}
	return usageError("%s (see %s --help)", msg, commandPath(cc))
}

// usageHint reads the environment variables of a command's duration
// flags and then its arguments, in the order urfave/cli and Go's flag
// package read them (flags up to "--" or the first other word), and says
// what is wrong with the first flag it finds wrong: a duration given as a
// bare number, or an unknown name (with the name meant, when one is
// close). "" when it finds nothing.
func usageHint(flags []cli.Flag, args []string, getenv func(string) string) string {
	if hint := envHint(flags, getenv); hint != "" {
		return hint
	}
	return argsHint(flags, args)
}

func envHint(flags []cli.Flag, getenv func(string) string) string {
	for _, f := range flags {
		df, ok := f.(*cli.DurationFlag)
		if !ok {
			continue
		}
		for _, e := range df.EnvVars {
			if v := getenv(e); bareNumber(v) {
				return fmt.Sprintf("%s=%s (--%s): a duration needs a unit: use %ss", e, v, df.Name, v)
			}
		}
	}
	return ""
}

func argsHint(flags []cli.Flag, args []string) string {
	for i := 0; i < len(args); i++ {
		name, value, hasValue, ok := splitFlag(args[i])
		if !ok {
			return ""
		}
		f := findFlag(flags, name)
		switch {
		case f == nil && isHelp(name):
			return ""
		case f == nil:
			return unknownFlag(flags, name)
		case isBool(f):
			continue
		case !hasValue:
			if i+1 == len(args) {
				return ""
			}
			i++
			value = args[i]
		}
		if isDuration(f) && bareNumber(value) {
			return fmt.Sprintf("--%s=%s: a duration needs a unit: use %ss", name, value, value)
		}
	}
	return ""
}

// splitFlag reads one argument as Go's flag package does: -name,
// --name, -name=value or --name=value. ok is false for "--", "-" and any
// word that is not a flag: parsing stops there.
func splitFlag(arg string) (name, value string, hasValue, ok bool) {
	if len(arg) < 2 || arg[0] != '-' || arg == "--" {
		return "", "", false, false
	}
	name = strings.TrimPrefix(arg[1:], "-")
	name, value, hasValue = strings.Cut(name, "=")
	return name, value, hasValue, name != ""
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

func isHelp(name string) bool {
	return cli.HelpFlag != nil && slices.Contains(cli.HelpFlag.Names(), name)
}

func isBool(f cli.Flag) bool { _, ok := f.(*cli.BoolFlag); return ok }

func isDuration(f cli.Flag) bool { _, ok := f.(*cli.DurationFlag); return ok }

// bareNumber reports whether v is a number without a unit (5, 1.5),
// which time.ParseDuration refuses unless it is 0.
func bareNumber(v string) bool {
	whole, frac, dot := strings.Cut(v, ".")
	digits := func(s string) bool {
		return s != "" && strings.Trim(s, "0123456789") == ""
	}
	return v != "0" && digits(whole) && (!dot || digits(frac))
}

// unknownFlag says that name is no flag of the command, and which one is
// close enough to be what was meant.
func unknownFlag(flags []cli.Flag, name string) string {
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	if meant := closest(name, names); meant != "" {
		return fmt.Sprintf("unknown flag --%s: did you mean --%s?", name, meant)
	}
	return fmt.Sprintf("unknown flag --%s", name)
}

// noCommand is the usage error for a word in a command's place, cc being
// the context of the command whose subcommand it should have been; with
// no word at all it shows that command's help.
func noCommand(cc *cli.Context) error {
	if cc.NArg() == 0 {
		return cli.ShowSubcommandHelp(cc)
	}
	word := cc.Args().First()
	var names []string
	for _, c := range cc.Command.Subcommands {
		if !c.Hidden && c.Name != "help" {
			names = append(names, c.Names()...)
		}
	}
	path := commandPath(cc)
	where := ""
	if path != cc.App.Name {
		where = " in " + path
	}
	if meant := closest(word, names); meant != "" {
		return usageError("no command %q%s: did you mean %q? (see %s --help)", word, where, meant, path)
	}
	return usageError("no command %q%s (see %s --help)", word, where, path)
}

// commandPath is the command run in cc as typed: "hsup systemd unit".
func commandPath(cc *cli.Context) string {
	var names []string
	for _, l := range cc.Lineage() {
		if l.Command != nil && l.Command.Name != "" {
			names = append(names, l.Command.Name)
		}
	}
	slices.Reverse(names)
	if len(names) == 0 || names[0] != cc.App.Name {
		names = slices.Insert(names, 0, cc.App.Name)
	}
	return strings.Join(names, " ")
}

// closest is the name among names within a few typing mistakes of typed
// (one per three characters, at least one: rn -> run, helth-url ->
// health-url), the nearest first; "" when none is that close, so a word
// that means nothing here gets no guess. One-letter words and names (-h)
// are too short to guess from.
func closest(typed string, names []string) string {
	best, bestDist := "", max(1, len(typed)/3)+1
	for _, n := range names {
		if len(typed) < 2 || len(n) < 2 {
			continue
		}
		if d := editDistance(typed, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours count one.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
