package main

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hsup/hsup/output"
)

// hsup's own standard output and error. Nothing waits on them (package
// output): a reader that stalls (a paused terminal, a stuck log shipper)
// or went away (`hsup run ... | head`, SIGPIPE is caught:
// supervise.CaughtSignals) costs dropped bytes, counted for
// hsup_output_dropped_bytes_total and reported in the stream once it moves
// again, never a blocked child or loop.
var (
	stdout = stream{output.New(os.Stdout, output.Options{Notice: dropNotice("stdout")})}
	stderr = stream{output.New(os.Stderr, output.Options{Notice: dropNotice("stderr")})}
	// jsonLog is set by newLogger: hsup's stderr then holds JSON records only.
	jsonLog atomic.Bool
	// childRecords are the child's streams wrapped as records (JSON log),
	// whose waiting partial lines are written when the logger syncs at exit.
	childRecords struct {
		mu   sync.Mutex
		list []*output.Records
	}
	// files are --log-file and --output-file, set by openFiles before
	// newLogger; nil when not given.
	files struct{ log, output *output.File }
)

// outputFlush bounds how long hsup's exit waits for its own output.
const outputFlush = time.Second

// stream is one of hsup's own output streams.
type stream struct{ *output.Writer }

// Dropped is how many bytes were dropped so far, for
// hsup_output_dropped_bytes_total.
func (s stream) Dropped() float64 { return float64(s.Writer.Dropped()) }

// dropNotice says, in the stream, that n bytes were dropped there: a JSON
// record in JSON log mode, a plain line otherwise.
func dropNotice(name string) func(n int64) []byte {
	text, record := output.TextNotice("hsup's "+name), output.JSONNotice(name)
	return func(n int64) []byte {
		if jsonLog.Load() {
			return record(n)
		}
		return text(n)
	}
}

// childOutput is where the child's stream name ("stdout" or "stderr") goes,
// after newLogger chose the log format. On a console, the child's output
// passes through unchanged to hsup's stream of the same name. With a JSON
// log, each line becomes a record ({"msg":"child output","stream":name,
// "line":...}) on hsup's stream of the same name, so that every line hsup
// writes is JSON (`hsup run ... 2>&1 | jq`); a line the child already
// wrote as one JSON object is kept as it is. When hsup's stdout and stderr
// are one file (2>&1, one log file for both under launchd, the journal
// stream under systemd), both of the child's streams go through hsup's
// stderr writer: one writer, so records never interleave. Either way the
// child is paced by a reader that keeps up and never held by one that
// stalled. With --output-file, both streams go to that file instead, as
// text records ("TIME stdout: LINE"), through one writer.
func childOutput(name string) io.Writer {
	if files.output != nil {
		return keepRecords(output.NewRecords(files.output.Paced(), name, output.RecordOptions{Text: true}))
	}
	own, ownFile := stderr, os.Stderr
	if name == "stdout" {
		own, ownFile = stdout, os.Stdout
	}
	if !jsonLog.Load() {
		return own.Paced()
	}
	if sameFile(ownFile, os.Stderr) {
		own = stderr
	}
	return keepRecords(output.NewRecords(own.Paced(), name, output.RecordOptions{KeepJSON: true}))
}

// keepRecords remembers r, whose waiting partial line flushOutput writes.
func keepRecords(r *output.Records) *output.Records {
	childRecords.mu.Lock()
	childRecords.list = append(childRecords.list, r)
	childRecords.mu.Unlock()
	return r
}

// sameFile reports whether a and b are one file (same device and inode).
func sameFile(a, b *os.File) bool {
	fa, err := a.Stat()
	if err != nil {
		return false
	}
	fb, err := b.Stat()
	return err == nil && os.SameFile(fa, fb)
}

// flushOutput writes the child's waiting partial lines and hsup's pending
// output, within outputFlush: a stalled reader does not hold up the exit.
func flushOutput() error {
	childRecords.mu.Lock()
	for _, r := range childRecords.list {
		_ = r.Flush()
	}
	childRecords.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), outputFlush)
	defer cancel()
	writers := []*output.Writer{stdout.Writer, stderr.Writer}
	for _, f := range []*output.File{files.log, files.output} {
		if f != nil {
			writers = append(writers, f.Writer)
		}
	}
	errs := make([]error, len(writers))
	var wg sync.WaitGroup
	for i, w := range writers {
		wg.Go(func() { errs[i] = w.Flush(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// logSink is hsup's log: records go to stderr or --log-file, whole or not
// at all, and never wait; Sync (the logger's, at exit) flushes all of
// hsup's output.
type logSink struct{ w io.Writer }

func (l logSink) Write(p []byte) (int, error) { return l.w.Write(p) }
func (logSink) Sync() error                   { return flushOutput() }

// newLogger logs to --log-file when openFiles opened one, else to stderr:
// JSON when stderr is not a terminal (the journal, a file), console when
// a person is watching.
func newLogger(format, level string) (*zap.Logger, error) {
	var sink io.Writer = stderr
	if files.log != nil {
		sink = files.log
	}
	if format == "auto" {
		format = "json"
		if fi, err := os.Stderr.Stat(); files.log == nil && err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			format = "console"
		}
	}
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	encoder := zapcore.NewJSONEncoder(enc)
	if format == "console" {
		enc.EncodeLevel = zapcore.CapitalLevelEncoder
		encoder = zapcore.NewConsoleEncoder(enc)
	}
	// Only a JSON log on stderr makes hsup wrap its streams as records.
	jsonLog.Store(format != "console" && files.log == nil)
	// Unsampled (one line per state change: only a stalled stderr drops
	// one, whole), no stack traces (an operator's error line, not a crash
	// report).
	core := zapcore.NewCore(encoder, logSink{sink}, lvl)
	return zap.New(core, zap.AddCaller(), zap.ErrorOutput(zapcore.AddSync(sink))), nil
}

// openFiles opens --log-file and --output-file before anything is logged
// or started. A file that cannot be opened is bad input (exit 2, nothing
// started). One that does not open within volumeWait (a hung volume) is a
// warning on stderr: hsup goes on, and what is written to it is dropped
// and counted until the volume answers.
func openFiles(f fileSettings, wait time.Duration) error {
	open := func(path string, notice func(int64) []byte, flag string) (*output.File, error) {
		file := output.NewFile(path, output.FileOptions{MaxMiB: f.maxMiB, Keep: f.keep, Notice: notice})
		opener := openFile
		err := within(wait, "opening "+path, func() error { return opener(file) })
		switch {
		case errors.Is(err, errOverran):
			_, _ = stderr.Write([]byte("hsup: --" + flag + ": " + err.Error() + "; going on, writes are dropped until it answers\n"))
		case errors.Is(err, output.ErrNotRegular):
			return nil, usageError("--%s: %v", flag, err)
		case err != nil:
			return nil, usageError("--%s: %v: give a file in a directory hsup can create and write", flag, err)
		}
		return file, nil
	}
	var err error
	if f.log != "" {
		if files.log, err = open(f.log, output.JSONNotice("hsup's log"), "log-file"); err != nil {
			return err
		}
	}
	if f.output != "" {
		if files.output, err = open(f.output, output.TextNotice("the child's output"), "output-file"); err != nil {
			return err
		}
	}
	return nil
}

// openFile opens an output file; tests put a volume that hangs in its place.
var openFile = (*output.File).Open

// droppedCounters are hsup_output_dropped_bytes_total's streams.
func droppedCounters() map[string]func() float64 {
	m := map[string]func() float64{"stdout": stdout.Dropped, "stderr": stderr.Dropped}
	if files.log != nil {
		m["log_file"] = func() float64 { return float64(files.log.Dropped()) }
	}
	if files.output != nil {
		m["output_file"] = func() float64 { return float64(files.output.Dropped()) }
	}
	return m
}
