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
// stalled.
func childOutput(name string) io.Writer {
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
	r := output.NewRecords(own.Paced(), name, output.RecordOptions{KeepJSON: true})
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
	var wg sync.WaitGroup
	var errOut, errErr error
	wg.Go(func() { errOut = stdout.Flush(ctx) })
	wg.Go(func() { errErr = stderr.Flush(ctx) })
	wg.Wait()
	return errors.Join(errOut, errErr)
}

// logSink is hsup's log: records go to stderr, whole or not at all, and
// never wait; Sync (the logger's, at exit) flushes all of hsup's output.
type logSink struct{}

func (logSink) Write(p []byte) (int, error) { return stderr.Write(p) }
func (logSink) Sync() error                 { return flushOutput() }

// newLogger logs to stderr: JSON when stderr is not a terminal (launchd
// log files, the journal), console when a person is watching.
func newLogger(format, level string) (*zap.Logger, error) {
	if format == "auto" {
		format = "json"
		if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
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
	jsonLog.Store(format != "console")
	// Unsampled (one line per state change: only a stalled stderr drops
	// one, whole), no stack traces (an operator's error line, not a crash
	// report).
	core := zapcore.NewCore(encoder, logSink{}, lvl)
	return zap.New(core, zap.AddCaller(), zap.ErrorOutput(stderr)), nil
}
