//go:build !linux && !darwin

package diagnose

import (
	"context"
	"errors"
	"fmt"
)

// readThreads: no way to read another process's threads here.
func readThreads(context.Context, int) (threadSample, error) {
	return threadSample{}, fmt.Errorf("read threads: %w", errors.ErrUnsupported)
}
