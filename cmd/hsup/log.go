package main

import (
	"os"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// hsup's own standard output and error: writes that fail (the reader went
// away: `hsup run ... | head`, a closed terminal) are dropped and counted,
// never returned (the child's output copy would stall) and never fatal
// (SIGPIPE is caught: supervise.CaughtSignals).
var (
	stdout = &dropWriter{f: os.Stdout}
	stderr = &dropWriter{f: os.Stderr}
)

type dropWriter struct {
	f       *os.File
	dropped atomic.Int64 // bytes
}

func (d *dropWriter) Write(p []byte) (int, error) {
	if n, err := d.f.Write(p); err != nil {
		d.dropped.Add(int64(len(p) - n))
	}
	return len(p), nil
}

func (d *dropWriter) Sync() error { return nil } // a terminal or pipe: nothing to sync

// Dropped is how many bytes were dropped so far.
func (d *dropWriter) Dropped() float64 { return float64(d.dropped.Load()) }

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
	// Unsampled (one line per state change: never drop one), no stack
	// traces (an operator's error line, not a crash report).
	core := zapcore.NewCore(encoder, stderr, lvl)
	return zap.New(core, zap.AddCaller(), zap.ErrorOutput(stderr)), nil
}
