//go:build unix

package demoapp

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/hsup/hsup/test/reexec"
)

func init() {
	reexec.Register("serve", serveHelper)
}

// serveHelper runs the app on 127.0.0.1:0 with state in args[0] and exits
// the way cmd/hsup's hidden subcommand should: 0 on a clean stop, the
// crash code on *ExitError, 2 on any other error.
func serveHelper(args ...string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "serve: want one argument, the state directory")
		return 2
	}
	err := Run(context.Background(), Config{Addr: "127.0.0.1:0", StateDir: args[0], Stdout: os.Stdout, Stderr: os.Stderr})
	var exit *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.Code
	default:
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
}
