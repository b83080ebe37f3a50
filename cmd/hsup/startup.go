package main

import (
	"os"
	"runtime"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sys/unix"

	"github.com/hsup/hsup/doctor"
)

// logStart is hsup's first line about a service: its version and the
// settings it runs with, each under its flag's name, so the log answers
// "which hsup, told what" without the unit file at hand. Then one WARN
// line per probe whose timeout is not below its interval (doctor's rule).
func logStart(log *zap.Logger, s settings, path string, argv []string) {
	v, rev := buildVersion()
	log.Info("hsup starting", zap.String("version", v), zap.String("revision", rev),
		zap.String("goversion", runtime.Version()), zap.Int("pid", os.Getpid()),
		zap.String("name", s.name), zap.String("program", path), zap.Strings("argv", argv),
		zap.Object("settings", settingsLog(s)))
	for _, w := range doctor.TimeoutWarnings(probeInput(s)) {
		log.Warn(w, zap.String("see", "hsup doctor"))
	}
}

// probeInput is the probe part of what doctor judges (its detection
// budgets, the timeout rule), from the validated settings.
func probeInput(s settings) doctor.Input {
	h := s.health
	return doctor.Input{
		HealthURL: h.URL, HealthInterval: h.Interval, HealthTimeout: h.Timeout, HealthFailures: h.Failures,
		DeepURL: h.DeepURL, DeepInterval: h.DeepInterval, DeepTimeout: h.DeepTimeout, DeepFailures: h.DeepFailures,
		HeartbeatField: h.HeartbeatField, HeartbeatStale: h.HeartbeatStale,
		BusyFailures: h.BusyFailures, StartupGrace: h.StartupGrace,
		AcceptStall: s.accept.stall, AcceptWatched: acceptPort(s) != 0,
	}
}

// settingsLog renders the effective settings as log fields named after
// their flags; durations and signals as a user writes them (5s, SIGTERM).
type settingsLog settings

func (s settingsLog) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	s.restartFields(enc)
	s.healthFields(enc)
	s.serviceFields(enc)
	s.diagFields(enc)
	return nil
}

func (s settingsLog) restartFields(enc zapcore.ObjectEncoder) {
	enc.AddString("restart", s.restart.String())
	dur(enc, "backoff-min", s.backoff.Min)
	dur(enc, "backoff-max", s.backoff.Max)
	dur(enc, "backoff-reset", s.backoff.Reset)
	enc.AddInt("crash-loop", s.crashLoop.After)
	enc.AddInt("give-up-after", s.crashLoop.GiveUp)
	enc.AddString("stop-signal", signalName(s.stopSignal))
	dur(enc, "stop-grace", s.stopGrace)
	enc.AddUint64("nofile", s.nofile)
	stdin := "null"
	if s.stdin {
		stdin = "inherit"
	}
	enc.AddString("stdin", stdin)
	if len(s.hooks.programs) > 0 {
		_ = enc.AddArray("on-event", zapcore.ArrayMarshalerFunc(func(a zapcore.ArrayEncoder) error {
			for _, p := range s.hooks.programs {
				a.AppendString(p)
			}
			return nil
		}))
		dur(enc, "on-event-timeout", s.hooks.timeout)
	}
}

func (s settingsLog) healthFields(enc zapcore.ObjectEncoder) {
	h := s.health
	enc.AddString("health-url", h.URL)
	if h.URL == "" {
		return // no probing: none of the other values is used
	}
	dur(enc, "health-interval", h.Interval)
	dur(enc, "health-timeout", h.Timeout)
	enc.AddInt("health-failures", h.Failures)
	enc.AddString("deep-url", h.DeepURL)
	if h.DeepURL != "" {
		dur(enc, "deep-interval", h.DeepInterval)
		dur(enc, "deep-timeout", h.DeepTimeout)
		enc.AddInt("deep-failures", h.DeepFailures)
	}
	enc.AddString("heartbeat-field", h.HeartbeatField)
	if h.HeartbeatField != "" {
		dur(enc, "heartbeat-stale", h.HeartbeatStale)
	}
	enc.AddInt("busy-failures", h.BusyFailures)
	dur(enc, "startup-grace", h.StartupGrace)
}

func (s settingsLog) serviceFields(enc zapcore.ObjectEncoder) {
	enc.AddString("state-dir", s.stateDir)
	enc.AddString("metrics-addr", s.metricsAddr)
	enc.AddBool("pprof", s.pprof)
	enc.AddString("log-format", s.logFormat)
	enc.AddString("log-level", s.logLevel)
	enc.AddString("log-file", s.files.log)
	enc.AddString("output-file", s.files.output)
	if s.files.log != "" || s.files.output != "" {
		enc.AddInt("log-max-size", s.files.maxMiB)
		enc.AddInt("log-keep", s.files.keep)
	}
}

func (s settingsLog) diagFields(enc zapcore.ObjectEncoder) {
	enc.AddString("diag-dir", s.diagDir)
	enc.AddInt("diag-keep", s.diagKeep)
	dur(enc, "diag-timeout", s.diagTimeout)
	enc.AddString("dump-signal", signalName(s.dumpSignal))
	if s.dumpSignal != 0 {
		dur(enc, "dump-wait", s.dumpWait)
	}
	enc.AddString("dump-url", s.dumpURL)
	enc.AddFloat64("fd-warn", s.fdWarn)
	enc.AddFloat64("fd-restart", s.fdRestart)
}

func dur(enc zapcore.ObjectEncoder, key string, d time.Duration) { enc.AddString(key, short(d)) }

// signalName is SIGTERM for 15, "" for none.
func signalName(sig syscall.Signal) string {
	if sig == 0 {
		return ""
	}
	return unix.SignalName(sig)
}
