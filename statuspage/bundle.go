package statuspage

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// MaxSummary bounds the summary.json the page reads.
const MaxSummary = 256 << 10

// summaryWait bounds how long a request waits for a summary being read.
const summaryWait = time.Second

// errSlow: the summary is still being read (a slow or hung volume).
var errSlow = errors.New("still reading (slow volume?)")

// errTooLarge: summary.json exceeds MaxSummary.
var errTooLarge = fmt.Errorf("larger than %d KiB", MaxSummary>>10)

// Summary is the part of a bundle's summary.json the page shows. Absent
// numbers are nil.
type Summary struct {
	Reason        string      `json:"reason"`
	Cause         string      `json:"cause"` // one sentence, when the bundle has it
	FailingChecks []Check     `json:"failing_checks"`
	PID           int         `json:"pid"`
	CapturedAt    string      `json:"captured_at"`
	OpenFDs       *int        `json:"open_fds"`
	NofileSoft    *uint64     `json:"nofile_soft"`
	Threads       *int        `json:"threads"`
	TopFiles      []FileCount `json:"top_files"`
}

// Check is a deep check the last deep probe's body reported failing.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error"`
}

// FileCount is one line of summary.json's top_files.
type FileCount struct {
	Path  string `json:"path"`
	Count int    `json:"count"`
}

// decodeSummary reads summary.json from r, at most MaxSummary bytes.
func decodeSummary(r io.Reader) (Summary, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSummary+1))
	if err != nil {
		return Summary{}, err
	}
	if len(b) > MaxSummary {
		return Summary{}, errTooLarge
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return Summary{}, fmt.Errorf("decode: %w", err)
	}
	return s, nil
}

// readSummary reads dir/summary.json: a regular file of hsup's own user,
// not a symlink (whatever it points to is not the bundle's), opened
// without waiting (a FIFO's open would wait for a writer).
func readSummary(dir string) (Summary, error) {
	f, err := os.OpenFile(filepath.Join(dir, "summary.json"), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return Summary{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Summary{}, err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !fi.Mode().IsRegular() || ok && int(st.Uid) != os.Geteuid() {
		return Summary{}, fmt.Errorf("%s: not a regular file of hsup's user", f.Name())
	}
	return decodeSummary(f)
}

// summaries reads the latest bundle's summary once: a bundle does not
// change after it is written. At most one read per bundle runs; a request
// waits for it at most summaryWait.
type summaries struct {
	mu   sync.Mutex
	cur  *summaryRead
	read func(dir string) (Summary, error) // nil: readSummary; tests stand in a hung volume
}

// summaryRead is one bundle's read; sum and err are set before done closes.
type summaryRead struct {
	dir  string
	done chan struct{}
	sum  Summary
	err  error
}

// get returns dir's summary, starting its read if it is new. A read that
// overruns wait goes on in its goroutine (stuck in the kernel on a hung
// volume, nothing can stop it); the next request picks up its result.
func (c *summaries) get(dir string, wait time.Duration) (Summary, error) {
	c.mu.Lock()
	r := c.cur
	if r == nil || r.dir != dir {
		r = &summaryRead{dir: dir, done: make(chan struct{})}
		c.cur = r
		read := c.read
		if read == nil {
			read = readSummary
		}
		go func() {
			defer close(r.done)
			r.sum, r.err = read(dir)
		}()
	}
	c.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-r.done:
		return r.sum, r.err
	case <-t.C:
		return Summary{}, errSlow
	}
}
