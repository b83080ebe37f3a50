package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hsup/hsup/output"
	"github.com/hsup/hsup/supervise"
)

// Defaults of Config: the file is rotated past 5 MiB and two rotated
// files are kept beside it (at most 3 × 5 MiB in all).
const (
	DefaultMaxMiB = 5
	DefaultKeep   = 2
)

// Config configures Open.
type Config struct {
	Dir    string // the service's directory (<state dir>/<name>); it must exist
	Name   string // the service name, on every line
	MaxMiB int    // rotate past this size (default DefaultMaxMiB)
	Keep   int    // rotated files kept (default DefaultKeep)
	// StopGrace is the grace a stop allows (--stop-grace), for stopping lines.
	StopGrace time.Duration
	// Degraded, when set, gives the facts of a degraded verdict (the
	// probes behind it). It is called on the supervisor's loop: it must
	// only copy what it holds.
	Degraded func(supervise.ChildDegraded) Facts
	Log      *zap.Logger // nil: no warnings
}

// Ledger appends lines to one service's ledger file. Its methods are safe
// for concurrent use and never wait on the file.
type Ledger struct {
	cfg  Config
	path string
	file *output.File

	mu      sync.Mutex
	seq     int64
	dropped int64           // bytes the file's writer had dropped at the last check
	warned  map[string]bool // kinds of failure already logged
}

// Open opens the ledger of the service in cfg.Dir, creating the file
// (mode 0600) when absent, and continues the seq of the lines already
// there (reading at most the last 64 KiB of the current and the newest
// rotated file). It touches the volume: the caller bounds it in time.
func Open(cfg Config) (*Ledger, error) {
	if cfg.MaxMiB <= 0 {
		cfg.MaxMiB = DefaultMaxMiB
	}
	if cfg.Keep <= 0 {
		cfg.Keep = DefaultKeep
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	l := &Ledger{cfg: cfg, path: filepath.Join(cfg.Dir, FileName), warned: map[string]bool{}}
	last, err := lastSeq(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	l.seq = last.seq
	l.file = output.NewFile(l.path, output.FileOptions{MaxMiB: cfg.MaxMiB, Keep: cfg.Keep, Notice: l.notice})
	if err := l.file.Open(); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if last.open { // a torn last line (hsup died mid-write): the next line starts on a line of its own
		_, _ = l.file.Write([]byte{'\n'})
	}
	return l, nil
}

// Path is the ledger's current file.
func (l *Ledger) Path() string { return l.path }

// LastSeq is the seq of the last line appended (or found at Open); 0 when
// there is none.
func (l *Ledger) LastSeq() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

// Append numbers e, stamps it (now, when it has no time stamp), names
// it, and queues it for the file. It never waits on the file: a line the
// writer cannot take is dropped, and the first drop is logged once.
func (l *Ledger) Append(e Entry) {
	if e.TS == "" {
		e.TS = Stamp(time.Now())
	}
	e.Name = l.cfg.Name
	l.mu.Lock()
	defer l.mu.Unlock()
	e.Seq = l.seq + 1
	b, err := json.Marshal(e)
	if err != nil {
		l.warnOnce("encode", "a ledger line could not be encoded; it is left out", zap.String("event", e.Event), zap.Error(err))
		return
	}
	l.seq = e.Seq
	_, _ = l.file.Write(append(b, '\n'))
	if d := l.file.Dropped(); d > l.dropped {
		l.dropped = d
		l.warnOnce("dropped", "ledger lines were dropped: its volume is full, hung or not writable "+
			"(hsup status and the ledger miss them; supervision goes on)", zap.String("file", l.path), zap.Int64("dropped_bytes", d))
	}
}

// Observe records a supervisor event, for Config.OnEvent: it runs on the
// supervisor's loop and only formats and queues.
func (l *Ledger) Observe(ev supervise.Event) {
	e, ok := Of(ev, l.cfg.StopGrace)
	if !ok {
		return
	}
	if d, isDegraded := ev.(supervise.ChildDegraded); isDegraded && l.cfg.Degraded != nil {
		e = e.WithFacts(l.cfg.Degraded(d))
	}
	l.Append(e)
}

// Close writes what is queued (within ctx) and closes the file.
func (l *Ledger) Close(ctx context.Context) error { return l.file.Close(ctx) }

// warnOnce logs the first failure of each kind; called with mu held.
func (l *Ledger) warnOnce(kind, msg string, fields ...zap.Field) {
	if l.warned[kind] {
		return
	}
	l.warned[kind] = true
	l.cfg.Log.Warn(msg, fields...)
}

// notice is the line the file's writer puts where n bytes were dropped.
// It has no seq: the writer does not know the lines' numbers.
func (l *Ledger) notice(n int64) []byte {
	b, _ := json.Marshal(Entry{TS: Stamp(time.Now()), Event: EventLinesDropped, Name: l.cfg.Name, DroppedBytes: n})
	return append(b, '\n')
}
