//go:build hsup_nopprof

package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestPprofNotBuilt: a build without net/http/pprof refuses --pprof with
// one line and exit 2 rather than serving nothing under /debug/pprof/.
// Run with: go test -tags hsup_nopprof -run Pprof ./cmd/hsup
func TestPprofNotBuilt(t *testing.T) {
	_, err := parse(t, "--pprof")
	var ec cli.ExitCoder
	if !errors.As(err, &ec) || ec.ExitCode() != 2 || !strings.Contains(err.Error(), "--pprof") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want one line, exit 2, naming --pprof", err)
	}
	if _, err := parse(t); err != nil {
		t.Fatalf("without --pprof: %v", err)
	}
}
