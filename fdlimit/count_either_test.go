package fdlimit

import (
	"errors"
	"testing"
)

// TestCountEither is macOS's Count logic with fake counters: proc_pidinfo
// first, lsof only when it fails, and both failures named when both fail.
func TestCountEither(t *testing.T) {
	errPidinfo := errors.New("proc_pidinfo returned 0")
	errLsof := errors.New("no such process")
	counter := func(n int, err error, calls *int) func(int) (int, error) {
		return func(int) (int, error) { *calls++; return n, err }
	}
	tests := []struct {
		name                    string
		primaryErr, fallbackErr error
		want                    int
		wantFallback            int // calls of the fallback
		wantErrs                []error
	}{
		{name: "the library call works: no lsof", want: 7},
		{name: "the library call fails: lsof counts", primaryErr: errPidinfo, want: 9, wantFallback: 1},
		{name: "both fail", primaryErr: errPidinfo, fallbackErr: errLsof, wantFallback: 1, wantErrs: []error{errPidinfo, errLsof}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var primaryCalls, fallbackCalls int
			got, err := countEither(42, counter(7, tt.primaryErr, &primaryCalls), counter(9, tt.fallbackErr, &fallbackCalls))
			if primaryCalls != 1 || fallbackCalls != tt.wantFallback {
				t.Fatalf("calls: primary %d, fallback %d; want 1, %d", primaryCalls, fallbackCalls, tt.wantFallback)
			}
			if len(tt.wantErrs) == 0 && (err != nil || got != tt.want) {
				t.Fatalf("countEither() = %d, %v; want %d", got, err, tt.want)
			}
			for _, want := range tt.wantErrs {
				if !errors.Is(err, want) {
					t.Fatalf("countEither() error %v, want it to wrap %v", err, want)
				}
			}
		})
	}
}
