package main

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hsup/hsup/healthcheck"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "probe URL once, as hsup run would, and print the result as one JSON line",
		ArgsUsage: "URL",
		Description: "One GET on a fresh connection. Exit 0 ok, 1 degraded, busy or invalid, 3 no answer (timeout, refused,\n" +
			"reset, error), 2 bad input.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "deep", EnvVars: env("check-deep"), Usage: "add deep=1 to the URL's query (the deep probe)"},
			&cli.DurationFlag{Name: "timeout", Value: 2 * time.Second, EnvVars: env("check-timeout"), Usage: "bound on connect, headers and body"},
			&cli.StringFlag{Name: "heartbeat-field", Value: "accept_loop.requests_total", EnvVars: env("heartbeat-field"), Usage: "dotted JSON path reported when present"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return checkUsage(c.Command.Flags, c.Args().Slice())
			}
			url := c.Args().First()
			if err := healthcheck.ValidateURL(url); err != nil {
				return usageError("%v", err)
			}
			if c.Bool("deep") {
				deep, err := healthcheck.DeepURL(url)
				if err != nil {
					return usageError("%v", err)
				}
				url = deep
			}
			if c.Duration("timeout") <= 0 {
				return usageError("--timeout=%v must be a positive duration such as 2s", c.Duration("timeout"))
			}
			o := healthcheck.Probe(context.Background(), url, c.Duration("timeout"), c.String("heartbeat-field"))
			if err := json.NewEncoder(c.App.Writer).Encode(checkLine(url, o)); err != nil {
				return err
			}
			if code := healthcheck.ExitCode(o.Result); code != 0 {
				return cli.Exit("", code)
			}
			return nil
		},
	}
}

// checkUsage is the usage error for check's arguments (args) when they
// are not one URL. The parser stops at the first word that is not a flag,
// so flags after the URL reach here as words: that mistake gets the
// command line that works.
func checkUsage(flags []cli.Flag, args []string) error {
	var moved, words []string
	for i := 0; i < len(args); i++ {
		name, _, hasValue, ok := splitFlag(args[i])
		if i == 0 || !ok {
			words = append(words, args[i])
			continue
		}
		moved = append(moved, args[i])
		if f := findFlag(flags, name); f != nil && !isBool(f) && !hasValue && i+1 < len(args) {
			i++ // the flag's value
			moved = append(moved, args[i])
		}
	}
	if len(moved) > 0 && len(words) == 1 {
		return usageError("flags go before the URL: hsup check %s %s", strings.Join(moved, " "), words[0])
	}
	return usageError("check takes exactly one URL: hsup check [--deep] [--timeout=2s] URL")
}

type checkResult struct {
	URL       string   `json:"url"`
	Result    string   `json:"result"`
	Status    int      `json:"status"`
	MS        float64  `json:"ms"`
	Detail    string   `json:"detail,omitempty"`
	Heartbeat *float64 `json:"heartbeat,omitempty"`
}

func checkLine(url string, o healthcheck.Outcome) checkResult {
	r := checkResult{URL: url, Result: string(o.Result), Status: o.Status,
		MS: float64(o.Duration.Microseconds()) / 1000, Detail: o.Detail}
	if o.HasHeartbeat {
		r.Heartbeat = &o.Heartbeat
	}
	return r
}
