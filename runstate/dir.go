package runstate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// maxNameLen bounds a service name, so that <state dir>/<name>/child.json
// stays well inside PATH_MAX and a name stays readable in a log line.
const maxNameLen = 64

// DefaultDir is the default --state-dir: $XDG_STATE_HOME/hsup when that
// variable is an absolute path, else ~/.local/state/hsup; on macOS
// ~/Library/Application Support/hsup. It is "" when home is unknown (empty
// or not absolute) and XDG_STATE_HOME does not name a directory.
func DefaultDir(goos string, getenv func(string) string, home string) string {
	if goos != "darwin" {
		if xdg := getenv("XDG_STATE_HOME"); filepath.IsAbs(xdg) {
			return filepath.Join(xdg, "hsup")
		}
	}
	if !filepath.IsAbs(home) {
		return ""
	}
	if goos == "darwin" {
		return filepath.Join(home, "Library", "Application Support", "hsup")
	}
	return filepath.Join(home, ".local", "state", "hsup")
}

// ValidName checks a service name (--name): non-empty, at most 64 bytes,
// only ASCII letters, digits, '.', '_' and '-', and not "." or "..". The
// error is one line saying what is wrong and how to fix it.
func ValidName(name string) error {
	switch {
	case name == "":
		return errors.New(`service name is empty; give --name a name such as "webui"`)
	case len(name) > maxNameLen:
		return fmt.Errorf("service name %.20q... is %d bytes long; give --name at most %d", name, len(name), maxNameLen)
	case name == "." || name == "..":
		return fmt.Errorf("service name %q is not allowed; give --name a name with a letter or digit", name)
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return fmt.Errorf("service name %q has %q at byte %d; --name allows only letters, digits, '.', '_' and '-'", name, name[i], i)
		}
	}
	return nil
}

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// Dir is one service's directory, <state dir>/<name>.
type Dir struct {
	Path string // absolute
	Name string // the service name
}

// Open creates (mode 0700, parents included) or opens the directory of
// service name under stateDir. It refuses an invalid name, a path that is
// not a directory, and a directory that another user owns or that group
// or others may write, since whoever can write there can plant a record
// that makes hsup signal processes. Errors are one line saying what is
// wrong and how to fix it.
func Open(stateDir, name string) (*Dir, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	if stateDir == "" {
		return nil, errors.New("no state directory: set --state-dir (the default needs HOME)")
	}
	abs, err := filepath.Abs(stateDir)
	if err != nil {
		return nil, fmt.Errorf("state dir %s: %w; give --state-dir an absolute path", stateDir, err)
	}
	path := filepath.Join(abs, name)
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(path, 0o700); err != nil {
			return nil, fmt.Errorf("state dir: create %s: %w; give --state-dir a directory this user can write", path, err)
		}
		fi, err = os.Stat(path)
	}
	if err != nil {
		return nil, fmt.Errorf("state dir: %w; give --state-dir a directory this user can write", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("state dir: %s is not a directory; remove it or give --state-dir another directory", path)
	}
	if err := checkOwner(path, fi); err != nil {
		return nil, err
	}
	return &Dir{Path: path, Name: name}, nil
}

// checkMode refuses a directory that group or others may write.
func checkMode(path string, fi fs.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("state dir: %s is writable by group or others (mode %04o); chmod 700 it", path, perm)
	}
	return nil
}
