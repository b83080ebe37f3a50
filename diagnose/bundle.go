package diagnose

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// bundleName matches the directories Capture creates, and only those are
// ever removed by retention: <UTC time>-pid<PID>-<reason>[-<n>].
var bundleName = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-pid[0-9]+-[A-Za-z0-9_]+(-[0-9]+)?$`)

// maxNameTries bounds the suffixes tried when two captures share a
// millisecond, pid and reason.
const maxNameTries = 100

// bundle is one capture directory, opened so that nothing written through
// it can leave the directory: files are created exclusively, never through
// a symlink, under an os.Root.
type bundle struct {
	path string
	root *os.Root
}

// name returns the directory name of a capture: sortable by time because
// the timestamp is UTC with a fixed width.
func name(now time.Time, pid int, reason string) string {
	return now.UTC().Format("20060102T150405.000") + "Z-pid" + strconv.Itoa(pid) + "-" + sanitize(reason)
}

// sanitize keeps reason safe as a path element and within the pattern.
func sanitize(reason string) string {
	var b strings.Builder
	for _, r := range reason {
		if b.Len() >= 64 {
			break
		}
		if r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// openBundle creates base (0700) and a fresh capture directory in it. Mkdir
// fails on anything already there, a planted symlink included, so the
// directory is ours; a name clash within one millisecond gets a suffix.
func openBundle(base, dirName string) (*bundle, error) {
	if base == "" {
		return nil, errors.New("no diagnostics directory configured: set --diag-dir")
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, fmt.Errorf("create diagnostics directory %q (set --diag-dir to a writable directory): %w", base, err)
	}
	parent, err := os.OpenRoot(base)
	if err != nil {
		return nil, fmt.Errorf("open diagnostics directory %q: %w", base, err)
	}
	defer parent.Close()
	for i := 1; i <= maxNameTries; i++ {
		n := dirName
		if i > 1 {
			n += "-" + strconv.Itoa(i)
		}
		err = parent.Mkdir(n, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create bundle directory in %q (check permissions and free space): %w", base, err)
		}
		root, err := parent.OpenRoot(n)
		if err != nil {
			return nil, fmt.Errorf("open bundle directory %q: %w", n, err)
		}
		return &bundle{path: filepath.Join(base, n), root: root}, nil
	}
	return nil, fmt.Errorf("create bundle directory %q in %q: %w", dirName, base, err)
}

// write creates file name (0600) in the bundle and writes data to it.
func (b *bundle) write(name string, data []byte) error {
	f, err := b.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if err != nil {
		return fmt.Errorf("create %s in bundle %q: %w", name, b.path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s in bundle %q (disk full?): %w", name, b.path, err)
	}
	return nil
}

func (b *bundle) close() { _ = b.root.Close() }

// prune removes all but the newest keep bundles in base, never current
// (the one just written, even if the clock stepped back). Only directories
// whose names match the bundle pattern are considered; anything else an
// operator put there is left alone. It returns the names removed.
func prune(base string, keep int, current string) ([]string, error) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil, fmt.Errorf("list diagnostics directory %q for retention: %w", base, err)
	}
	names := slices.DeleteFunc(obsolete(entries, keep), func(n string) bool { return n == current })
	if len(names) == 0 {
		return nil, nil
	}
	root, err := os.OpenRoot(base)
	if err != nil {
		return nil, fmt.Errorf("open diagnostics directory %q for retention: %w", base, err)
	}
	defer root.Close()
	var errs []error
	var removed []string
	for _, n := range names {
		if err := root.RemoveAll(n); err != nil {
			errs = append(errs, fmt.Errorf("remove old bundle %q: %w", n, err))
			continue
		}
		removed = append(removed, n)
	}
	return removed, errors.Join(errs...)
}

// obsolete picks the bundle directories beyond the newest keep. ReadDir
// entries do not follow symlinks, so a symlink is never a bundle.
func obsolete(entries []os.DirEntry, keep int) []string {
	var names []string
	for _, e := range entries {
		if e.IsDir() && bundleName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) <= keep {
		return nil
	}
	sort.Strings(names)
	return names[:len(names)-keep]
}
