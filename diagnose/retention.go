package diagnose

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Retention goes by what hsup wrote, never by names or clocks. Every
// bundle holds a marker file, markerName, with the bundle's sequence
// number, its service and its restart streak; the diagnostics directory
// holds the last number handed out in seqName. prune keeps the newest
// bundles of its service by that number, and the first bundle of every
// streak among them, and touches nothing without a valid marker: a
// directory planted with a future time in its name is neither counted nor
// removed, a bundle renamed keeps its place, and a wall clock stepped back
// cannot make old bundles look new.
const (
	markerName = ".hsup-bundle"
	seqName    = ".hsup-seq"

	maxMarkerSize = 4 << 10
	// maxSeq bounds a believable sequence number; anything above is
	// corrupt (and could not be incremented safely).
	maxSeq = 1 << 62
)

// marker is the content of a bundle's markerName.
type marker struct {
	Seq     uint64    `json:"seq"`
	Written time.Time `json:"written"`  // Config.Now when the bundle was opened
	PID     int       `json:"pid"`      // the child's, as in the bundle's name
	HsupPID int       `json:"hsup_pid"` // the hsup that wrote it
	Service string    `json:"service,omitempty"`
	Streak  string    `json:"streak,omitempty"` // see Facts.Streak; "" when no restart followed
}

// stored is a bundle found in the diagnostics directory.
type stored struct {
	name string // directory name, relative to the diagnostics directory
	m    marker
}

// retention says which marked bundles prune keeps: of the service's own
// bundles, the newest keep by sequence, and the first bundle of every
// restart streak that has one among those (a crash loop must not flush
// the bundle that explains it). So at most 2*keep bundles stay, and a
// streak's first bundle goes once none of its bundles is among the newest.
// Other services' bundles, and those of an hsup that wrote no service
// name, are neither counted nor removed.
type retention struct {
	keep    int
	service string
}

// obsolete returns the names of the bundles r does not keep, oldest first
// (ties, which only two hsups racing on one directory can make, broken by
// name).
func obsolete(bundles []stored, r retention) []string {
	var mine []stored
	for _, b := range bundles {
		if b.m.Service == r.service {
			mine = append(mine, b)
		}
	}
	if len(mine) <= r.keep {
		return nil
	}
	slices.SortFunc(mine, func(a, b stored) int {
		return cmp.Or(cmp.Compare(a.m.Seq, b.m.Seq), strings.Compare(a.name, b.name))
	})
	old, newest := mine[:len(mine)-r.keep], mine[len(mine)-r.keep:]
	streaks := map[string]bool{}
	for _, b := range newest {
		if b.m.Streak != "" {
			streaks[b.m.Streak] = true
		}
	}
	var names []string
	for _, b := range old { // oldest first: the first of a streak is met first
		if streaks[b.m.Streak] {
			delete(streaks, b.m.Streak) // kept; later ones of its streak are not firsts
			continue
		}
		names = append(names, b.name)
	}
	return names
}

// prune removes the bundles in base that r does not keep and returns their
// names. Only marked bundles (see scan) are ever removed.
func prune(base string, r retention) ([]string, error) {
	root, err := openBase(base, false)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	defer root.Close()
	bundles, err := scan(root)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	var errs []error
	var removed []string
	for _, n := range obsolete(bundles, r) {
		if err := root.RemoveAll(n); err != nil {
			errs = append(errs, fmt.Errorf("remove old bundle %q: %w", n, err))
			continue
		}
		removed = append(removed, n)
	}
	return removed, errors.Join(errs...)
}

// scan lists the bundles hsup wrote in base: real directories (not
// symlinks) owned by hsup's uid that hold a valid marker. Anything else is
// not a bundle, whatever its name.
func scan(base *os.Root) ([]stored, error) {
	d, err := base.Open(".")
	if err != nil {
		return nil, fmt.Errorf("list diagnostics directory %q: %w", base.Name(), err)
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("list diagnostics directory %q: %w", base.Name(), err)
	}
	var out []stored
	for _, e := range entries {
		if !e.IsDir() { // DirEntry does not follow symlinks
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.IsDir() {
			continue
		}
		if _, foreign := foreignOwner(fi); foreign {
			continue
		}
		if m, ok := readMarker(base, e.Name()); ok {
			out = append(out, stored{name: e.Name(), m: m})
		}
	}
	return out, nil
}

// readMarker reads dir's marker; ok is false when there is none or it is
// not one hsup wrote.
func readMarker(base *os.Root, dir string) (m marker, ok bool) {
	b, err := readSmall(base, filepath.Join(dir, markerName), maxMarkerSize)
	if err != nil || json.Unmarshal(b, &m) != nil || m.Seq == 0 || m.Seq > maxSeq {
		return marker{}, false
	}
	return m, true
}

// readSmall reads name under base if it is a regular file owned by hsup's
// uid, not a symlink, of at most limit bytes. The Lstat first keeps a FIFO
// from blocking the open.
func readSmall(base *os.Root, name string, limit int64) ([]byte, error) {
	fi, err := base.Lstat(name)
	if err != nil {
		return nil, err
	}
	if _, foreign := foreignOwner(fi); foreign || !fi.Mode().IsRegular() || fi.Size() > limit {
		return nil, fmt.Errorf("%s: not a regular file of hsup's of at most %d bytes (mode %v)", name, limit, fi.Mode())
	}
	f, err := base.OpenFile(name, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}

// sequence hands out bundle numbers. The counter file seqName carries them
// across restarts of hsup; the markers of the bundles still there and the
// last number this hsup handed out are floors, so a counter that is
// missing, corrupt or behind (a failed write, a restored backup, a second
// hsup sharing the directory) never makes a number repeat.
type sequence struct {
	mu   sync.Mutex
	last uint64
}

// next returns the number of the bundle about to be written and records
// it in the counter file. A counter that cannot be read or written is
// logged, not fatal: the markers carry the numbers.
func (s *sequence) next(base *os.Root, log *zap.Logger) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bundles, err := scan(base)
	if err != nil {
		return 0, err
	}
	n := s.last
	counter, err := readCounter(base)
	switch {
	case err == nil:
		n = max(n, counter)
	case errors.Is(err, fs.ErrNotExist): // the first bundle, or removed by hand
	default:
		log.Warn("diagnostics sequence file unusable; continuing from the bundles' markers",
			zap.String("dir", base.Name()), zap.Error(err))
	}
	for _, b := range bundles {
		n = max(n, b.m.Seq)
	}
	n++
	s.last = n
	if err := writeCounter(base, n); err != nil {
		log.Warn("diagnostics sequence file not updated; the next bundle continues from the markers",
			zap.String("dir", base.Name()), zap.Error(err))
	}
	return n, nil
}

// readCounter reads seqName: a decimal number and a newline.
func readCounter(base *os.Root) (uint64, error) {
	b, err := readSmall(base, seqName, 64)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n > maxSeq {
		return 0, fmt.Errorf("%s holds %.20q, not a sequence number", seqName, b)
	}
	return n, nil
}

// writeCounter replaces seqName atomically: a temporary file (0600, never
// through a symlink) renamed over it.
func writeCounter(base *os.Root, n uint64) error {
	tmp := seqName + "." + strconv.Itoa(os.Getpid()) + ".tmp"
	_ = base.Remove(tmp) // left by a crash of an earlier hsup with this pid
	f, err := base.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	_, err = f.WriteString(strconv.FormatUint(n, 10) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = base.Rename(tmp, seqName)
	}
	if err != nil {
		_ = base.Remove(tmp)
		return fmt.Errorf("write %s: %w", seqName, err)
	}
	return nil
}
