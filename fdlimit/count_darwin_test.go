//go:build darwin

package fdlimit

import (
	"errors"
	"os"
	"testing"
)

func TestCountDarwin(t *testing.T) {
	got, err := Count(startHolder(t, 40).Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if got < 3+40 || got > 3+40+inheritSlack {
		t.Fatalf("Count() = %d, want 3+40 (+ at most %d inherited)", got, inheritSlack)
	}
}

func TestSoftLimitUnsupported(t *testing.T) {
	if _, err := SoftLimit(os.Getpid()); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("SoftLimit() error = %v, want errors.ErrUnsupported", err)
	}
}
