package diagnose

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

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

// name returns the directory name of a capture, <UTC time>-pid<PID>-<reason>,
// for people: sortable by time because the timestamp is UTC with a fixed
// width. Retention never reads it; it goes by the marker inside.
func name(now time.Time, pid int, reason string) string {
	return now.UTC().Format("20060102T150405.000") + "Z-pid" + strconv.Itoa(pid) + "-" + sanitize(reason)
}

// sanitize keeps reason safe as a single path element.
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

// openBundle creates a fresh capture directory under the diagnostics
// directory (see openBase) and marks it with the next sequence number, the
// service and the restart streak, so that retention counts it. Mkdir fails on anything already there, a
// planted symlink included, so the directory is ours; a name clash within
// one millisecond gets a suffix. A bundle whose marker cannot be written is
// removed again: retention would never see it.
func (c *Capturer) openBundle(now time.Time, pid int, reason, streak string) (*bundle, error) {
	base, err := openBase(c.cfg.Dir, true)
	if err != nil {
		return nil, err
	}
	defer base.Close()
	seq, err := c.seq.next(base, c.cfg.Log)
	if err != nil {
		return nil, err
	}
	b, err := makeBundle(base, c.cfg.Dir, name(now, pid, reason))
	if err != nil {
		return nil, err
	}
	m, err := json.Marshal(marker{Seq: seq, Written: now.UTC(), PID: pid, HsupPID: os.Getpid(),
		Service: c.cfg.Service, Streak: streak})
	if err == nil {
		err = b.write(markerName, append(m, '\n'))
	}
	if err != nil {
		b.close()
		_ = base.RemoveAll(filepath.Base(b.path))
		return nil, fmt.Errorf("mark bundle %q: %w", b.path, err)
	}
	return b, nil
}

// makeBundle creates directory dirName (0700), or dirName-2, -3 and so on,
// in base, whose path is basePath, and opens it.
func makeBundle(base *os.Root, basePath, dirName string) (*bundle, error) {
	var err error
	for i := 1; i <= maxNameTries; i++ {
		n := dirName
		if i > 1 {
			n += "-" + strconv.Itoa(i)
		}
		err = base.Mkdir(n, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create bundle directory in %q (check permissions and free space): %w", basePath, err)
		}
		root, err := base.OpenRoot(n)
		if err != nil {
			return nil, fmt.Errorf("open bundle directory %q: %w", n, err)
		}
		return &bundle{path: filepath.Join(basePath, n), root: root}, nil
	}
	return nil, fmt.Errorf("create bundle directory %q in %q: %w", dirName, basePath, err)
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
