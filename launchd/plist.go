package launchd

import (
	"fmt"
	"math"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"howett.net/plist"

	"github.com/hsup/hsup/managed"
)

// launchd facts (launchd.plist(5)).
const (
	// DefaultSoftNoFile is the soft RLIMIT_NOFILE launchd gives a job that
	// sets no SoftResourceLimits: far too few for a busy server.
	DefaultSoftNoFile = 256
	// DefaultThrottleInterval is launchd's minimum time between spawns of
	// a job; a job that ran less is respawned that much later.
	DefaultThrottleInterval = 10 * time.Second
	// DefaultExitTimeOut is how long launchd waits after SIGTERM before
	// SIGKILL when a job sets no ExitTimeOut. launchd.plist(5) and the last
	// open-source launchd (842, LAUNCHD_DEFAULT_EXIT_TIMEOUT) say 20 s, but
	// current macOS is reported to kill after 5 s (issue 13, item 7), so
	// hsup assumes the shorter one; generated plists set ExitTimeOut.
	DefaultExitTimeOut = 5 * time.Second
	// maxExitTimeOut bounds ExitTimeOut; a day of stop grace is a typo and
	// would stall shutdown (0 would mean forever).
	maxExitTimeOut = 24 * time.Hour
)

// Job is the subset of launchd.plist(5) keys hsup writes, plus
// HardResourceLimits, which it only reads.
type Job struct {
	Label            string   `plist:"Label"`
	ProgramArguments []string `plist:"ProgramArguments"`
	// UserName and GroupName are set for a daemon only: launchd runs the
	// job as that user (and that group, or the user's primary group).
	UserName         string    `plist:"UserName,omitempty"`
	GroupName        string    `plist:"GroupName,omitempty"`
	RunAtLoad        bool      `plist:"RunAtLoad"`
	KeepAlive        KeepAlive `plist:"KeepAlive"`
	ProcessType      string    `plist:"ProcessType,omitempty"`
	ThrottleInterval int       `plist:"ThrottleInterval"`
	ExitTimeOut      int       `plist:"ExitTimeOut"`
	// SoftResourceLimits is set for an agent with --nofile only.
	SoftResourceLimits *ResourceLimits `plist:"SoftResourceLimits,omitempty"`
	// HardResourceLimits is never written: a lowered hard limit can never
	// be raised again by the job, and in a daemon NumberOfFiles sets
	// kern.maxfilesperproc for the whole machine. Decode reads it so that
	// a plist from an older hsup can be recognised.
	HardResourceLimits   *ResourceLimits   `plist:"HardResourceLimits,omitempty"`
	StandardOutPath      string            `plist:"StandardOutPath,omitempty"`
	StandardErrorPath    string            `plist:"StandardErrorPath,omitempty"`
	WorkingDirectory     string            `plist:"WorkingDirectory,omitempty"`
	EnvironmentVariables map[string]string `plist:"EnvironmentVariables,omitempty"`
}

// ResourceLimits is a SoftResourceLimits or HardResourceLimits dictionary.
type ResourceLimits struct {
	NumberOfFiles int `plist:"NumberOfFiles"`
}

// ProcessType values (launchd.plist(5)). Unset, launchd applies "light
// resource limits", throttling CPU and I/O, which can turn into false
// probe timeouts; hsup writes Standard unless told otherwise.
var processTypes = []string{"Background", "Standard", "Adaptive", "Interactive"}

// DefaultProcessType is the ProcessType written when Config sets none.
const DefaultProcessType = "Standard"

// Config holds what the CLI collected for `hsup launchd plist`.
type Config struct {
	// Label is the job label, reverse-DNS style ([A-Za-z0-9._-]).
	Label string
	// Command is what ProgramArguments runs; ExitTimeOut is its
	// StopTimeout, rounded up to whole seconds.
	managed.Command
	// Daemon selects a LaunchDaemon (the system domain, from boot, as
	// UserName) over a LaunchAgent (the user's GUI session).
	Daemon bool
	// UserName (required) and GroupName (optional) are the daemon's user
	// and group; an agent runs as whoever loads it and takes neither.
	UserName, GroupName string
	// Home is the user's home directory: an agent's HOME in
	// EnvironmentVariables (launchd sets a daemon's HOME from UserName),
	// and an agent's LogDir defaults to Home/Library/Logs/<label>; a
	// daemon's to /Library/Logs/<label>. Both absolute.
	Home   string
	LogDir string
	// WorkingDirectory is absolute (the CLI passes the current
	// directory); empty leaves the key out.
	WorkingDirectory string
	// Path becomes PATH in EnvironmentVariables (launchd starts jobs with
	// a minimal PATH); empty leaves it out. The CLI passes CleanPath of
	// the shell's PATH.
	Path string
	// Restart is hsup's --restart (always, on-failure, never; "" is
	// always); KeepAlive follows it (KeepAliveFor).
	Restart string
	// ProcessType is one of Background, Standard, Adaptive, Interactive;
	// "" is DefaultProcessType.
	ProcessType string
	// NoFile is hsup's --nofile. An agent gets it as its soft limit,
	// clamped to MaxFilesPerProc; a daemon gets no limit keys (in a
	// daemon they would set the machine's kern.maxfiles). hsup's own
	// setrlimit gives the child NoFile either way. 0 writes no limit.
	NoFile uint64
	// MaxFilesPerProc is the generating machine's kern.maxfilesperproc
	// (MaxFilesPerProc()); 0 when unknown, and nothing is clamped.
	MaxFilesPerProc uint64
}

// NewJob checks c and builds the Job, or returns an error naming the first
// value that would make a broken plist.
func NewJob(c Config) (Job, error) {
	if err := c.check(); err != nil {
		return Job{}, err
	}
	logDir, err := c.LogDirectory()
	if err != nil {
		return Job{}, err
	}
	c.RunArgs = logFileArgs(c.RunArgs, logDir)
	j := Job{
		Label: c.Label, UserName: c.UserName, GroupName: c.GroupName, RunAtLoad: true,
		ThrottleInterval:  ceilSeconds(DefaultThrottleInterval),
		StandardOutPath:   path.Join(logDir, FallbackLog),
		StandardErrorPath: path.Join(logDir, FallbackLog),
		WorkingDirectory:  c.WorkingDirectory,
	}
	if j.ProgramArguments, err = programArguments(c); err != nil {
		return Job{}, err
	}
	if j.ExitTimeOut, err = exitTimeOut(c); err != nil {
		return Job{}, err
	}
	if j.KeepAlive, err = KeepAliveFor(c.Restart); err != nil {
		return Job{}, err
	}
	if j.ProcessType, err = c.processType(); err != nil {
		return Job{}, err
	}
	if j.SoftResourceLimits, err = softLimits(c.Daemon, c.NoFile, c.MaxFilesPerProc); err != nil {
		return Job{}, err
	}
	j.EnvironmentVariables = c.environment()
	return j, nil
}

// check refuses a bad label, user or directory before anything is built
// from them.
func (c Config) check() error {
	if err := ValidateLabel(c.Label); err != nil {
		return err
	}
	if err := c.checkUser(); err != nil {
		return err
	}
	return c.checkDirs()
}

// environment is the job's EnvironmentVariables: PATH when known, and an
// agent's HOME when known; nil (the key left out) when neither is.
func (c Config) environment() map[string]string {
	env := map[string]string{}
	if c.Path != "" {
		env["PATH"] = c.Path
	}
	if c.Home != "" && !c.Daemon {
		env["HOME"] = c.Home
	}
	if len(env) == 0 {
		return nil
	}
	return env
}

func (c Config) processType() (string, error) {
	if c.ProcessType == "" {
		return DefaultProcessType, nil
	}
	if !slices.Contains(processTypes, c.ProcessType) {
		return "", fmt.Errorf("process type %q: use one of %s", c.ProcessType, strings.Join(processTypes, ", "))
	}
	return c.ProcessType, nil
}

// checkUser refuses a daemon without a user, an agent with one, and
// names the plist cannot carry.
func (c Config) checkUser() error {
	if !c.Daemon {
		if c.UserName != "" || c.GroupName != "" {
			return fmt.Errorf("user %q, group %q: an agent runs as the user who loads it; pass --daemon to run as another user", c.UserName, c.GroupName)
		}
		return nil
	}
	if c.UserName == "" {
		return fmt.Errorf("a daemon needs a user to run as; pass --user")
	}
	if err := plistString("user", c.UserName); err != nil {
		return err
	}
	return plistString("group", c.GroupName)
}

// checkDirs refuses a home or working directory that is not absolute, and
// any path the plist cannot carry as given.
func (c Config) checkDirs() error {
	if c.Home != "" && !path.IsAbs(c.Home) {
		return fmt.Errorf("home directory %q: must be absolute; check HOME", c.Home)
	}
	if c.WorkingDirectory != "" && !path.IsAbs(c.WorkingDirectory) {
		return fmt.Errorf("working directory %q: must be absolute; pass the absolute directory to run in", c.WorkingDirectory)
	}
	if err := plistString("home directory", c.Home); err != nil {
		return err
	}
	if err := plistString("working directory", c.WorkingDirectory); err != nil {
		return err
	}
	return plistString("PATH", c.Path)
}

func programArguments(c Config) ([]string, error) {
	argv, err := c.Argv()
	if err != nil {
		return nil, err
	}
	for _, a := range argv {
		if err := plistString("argument", a); err != nil {
			return nil, err
		}
	}
	return argv, nil
}

// plistString reports why s cannot be a plist string: XML 1.0 cannot carry
// NUL, most control characters or invalid UTF-8, and the encoder would
// silently put U+FFFD in their place, so the job would get another value.
func plistString(what, s string) error {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, invalidXMLRune) {
		return fmt.Errorf("%s %q: a plist string holds only valid UTF-8 text without NUL or control characters other than tab and newline", what, s)
	}
	return nil
}

// invalidXMLRune reports runes that XML 1.0 cannot carry at all.
func invalidXMLRune(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
}

// exitTimeOut is ExitTimeOut in whole seconds, rounded up so that launchd
// never kills hsup before it has stopped its child.
func exitTimeOut(c Config) (int, error) {
	if c.StopGrace < 0 || c.StopTimeout() > maxExitTimeOut {
		return 0, fmt.Errorf("stop grace %s: must be between 0s and %s; lower --stop-grace", c.StopGrace, maxExitTimeOut-managed.StopMargin)
	}
	return ceilSeconds(c.StopTimeout()), nil
}

func ceilSeconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}

// The files of a job's log directory. launchd opens StandardOutPath and
// StandardErrorPath once, in append mode, and never rotates them (a
// newsyslog rename leaves it writing to the renamed file), so hsup writes
// the child's output and its own log itself, size-rotated (--output-file,
// --log-file); launchd's paths get only what comes before hsup opens its
// files: a usage error, a crash of hsup.
const (
	OutputLog   = "output.log"
	HsupLog     = "hsup.log"
	FallbackLog = "launchd.log"
)

// logFileArgs adds --output-file and --log-file in dir to hsup's run
// flags, unless they are there already (the user's choice stands).
func logFileArgs(args []string, dir string) []string {
	out := slices.Clone(args)
	for flag, file := range map[string]string{"--output-file": OutputLog, "--log-file": HsupLog} {
		if !slices.ContainsFunc(args, func(a string) bool { return a == flag || strings.HasPrefix(a, flag+"=") }) {
			out = append(out, flag+"="+path.Join(dir, file))
		}
	}
	slices.Sort(out[len(args):]) // map order: keep the plist the same from run to run
	return out
}

// LogDirectory is the job's log directory: LogDir, else
// /Library/Logs/LABEL for a daemon, ~/Library/Logs/LABEL for an agent.
func (c Config) LogDirectory() (string, error) {
	if c.LogDir != "" {
		if !path.IsAbs(c.LogDir) {
			return "", fmt.Errorf("log directory %q: must be absolute; pass --log-dir with a full path", c.LogDir)
		}
		return c.LogDir, plistString("log directory", c.LogDir)
	}
	if c.Daemon {
		return path.Join("/Library/Logs", c.Label), nil
	}
	if !path.IsAbs(c.Home) {
		return "", fmt.Errorf("home directory %q: must be absolute to place logs; set HOME or pass --log-dir", c.Home)
	}
	return path.Join(c.Home, "Library", "Logs", c.Label), nil
}

// softLimits is the SoftResourceLimits dictionary: an agent's --nofile
// clamped to the machine's kern.maxfilesperproc, nothing for a daemon
// (launchd.plist(5): in a system-wide daemon NumberOfFiles also sets
// kern.maxfiles) nor for --nofile 0. hsup raises the child's limit itself.
func softLimits(daemon bool, nofile, maxPerProc uint64) (*ResourceLimits, error) {
	if daemon || nofile == 0 {
		return nil, nil
	}
	n := ClampNoFile(nofile, maxPerProc)
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("file limit %d does not fit a plist integer launchd accepts; lower --nofile", n)
	}
	return &ResourceLimits{NumberOfFiles: int(n)}, nil
}

// ClampNoFile is the file limit a plist may ask for: nofile, or the
// machine's kern.maxfilesperproc (maxPerProc) when that is lower; a
// maxPerProc of 0 means unknown and clamps nothing.
func ClampNoFile(nofile, maxPerProc uint64) uint64 {
	if maxPerProc > 0 && nofile > maxPerProc {
		return maxPerProc
	}
	return nofile
}

// ValidateLabel checks a job label: non-empty, [A-Za-z0-9._-], no leading
// dot, not in Apple's reserved com.apple. namespace.
func ValidateLabel(label string) error {
	if label == "" {
		return fmt.Errorf("label is empty; pass --label in reverse-DNS form, e.g. --label com.example.webui")
	}
	if len(label) > 255-len(".plist") {
		return fmt.Errorf("label %q: too long for a file name; pick a shorter --label", label)
	}
	for _, r := range label {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return fmt.Errorf("label %q: %q is not allowed; use reverse-DNS form with letters, digits and . _ -", label, r)
		}
	}
	if label[0] == '.' {
		return fmt.Errorf("label %q: must not start with a dot", label)
	}
	if strings.HasPrefix(label, "com.apple.") {
		return fmt.Errorf("label %q: com.apple. is reserved for Apple; use your own reverse-DNS prefix", label)
	}
	return nil
}

// Encode writes j as an indented XML property list.
func Encode(j Job) ([]byte, error) {
	data, err := plist.MarshalIndent(j, plist.XMLFormat, "\t")
	if err != nil {
		return nil, fmt.Errorf("encode launchd plist for %q: %w", j.Label, err)
	}
	return data, nil
}

// Generate is NewJob followed by Encode.
func Generate(c Config) ([]byte, error) {
	j, err := NewJob(c)
	if err != nil {
		return nil, err
	}
	return Encode(j)
}

// Decode parses a property list (any format launchd reads) into a Job.
func Decode(data []byte) (Job, error) {
	var j Job
	if _, err := plist.Unmarshal(data, &j); err != nil {
		return Job{}, fmt.Errorf("decode launchd plist: %w; check the file with `plutil -lint`", err)
	}
	return j, nil
}
