//go:build !unix

package runstate

import (
	"errors"
	"fmt"
	"path/filepath"
)

// Lock is not supported here: there is no flock.
func (d *Dir) Lock() (*Lock, error) {
	return nil, fmt.Errorf("lock %s: %w", filepath.Join(d.Path, lockFile), errors.ErrUnsupported)
}
