package hooks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
)

// Resolve finds a hook program as hsup starts (no shell runs it): a name
// without a slash on PATH, else the path itself, made absolute so a later
// change of directory does not matter. It must be an executable regular
// file; the error says which it is not.
func Resolve(program string) (string, error) {
	if program == "" {
		return "", errors.New("no program given")
	}
	path, err := exec.LookPath(program)
	if err != nil {
		return "", whyNot(program, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("program %q: %w", program, err)
	}
	return abs, nil
}

// whyNot explains a failed look-up in words that say what to fix.
func whyNot(program string, err error) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("program %q not found: give an absolute path or put it on PATH", program)
	}
	if fi, statErr := os.Stat(program); statErr == nil && fi.IsDir() {
		return fmt.Errorf("program %q is a directory: give the hook's executable file", program)
	}
	return fmt.Errorf("program %q cannot be executed (%w): check its permissions (chmod +x)", program, err)
}
