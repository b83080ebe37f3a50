package launchd

import (
	"fmt"
	"math"
	"path"
	"path/filepath"
	"strconv"
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
	// SIGKILL when a job sets no ExitTimeOut.
	DefaultExitTimeOut = 20 * time.Second
	// maxExitTimeOut bounds ExitTimeOut; a day of stop grace is a typo and
	// would stall shutdown (0 would mean forever).
	maxExitTimeOut = 24 * time.Hour
)

// Job is the subset of launchd.plist(5) keys hsup writes.
type Job struct {
	Label                string            `plist:"Label"`
	ProgramArguments     []string          `plist:"ProgramArguments"`
	RunAtLoad            bool              `plist:"RunAtLoad"`
	KeepAlive            bool              `plist:"KeepAlive"`
	ThrottleInterval     int               `plist:"ThrottleInterval"`
	ExitTimeOut          int               `plist:"ExitTimeOut"`
	SoftResourceLimits   *ResourceLimits   `plist:"SoftResourceLimits,omitempty"`
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

// Config holds what the CLI collected for `hsup launchd plist`.
type Config struct {
	// Label is the job label, reverse-DNS style ([A-Za-z0-9._-]).
	Label string
	// Command is what ProgramArguments runs; ExitTimeOut is its
	// StopTimeout, rounded up to whole seconds.
	managed.Command
	// Home is the user's home directory: HOME in EnvironmentVariables,
	// and LogDir defaults to Home/Library/Logs/<label>. Both absolute.
	Home   string
	LogDir string
	// WorkingDirectory is absolute (the CLI passes the current
	// directory); empty leaves the key out.
	WorkingDirectory string
	// Path becomes PATH in EnvironmentVariables (launchd starts jobs with
	// a minimal PATH); empty leaves it out.
	Path string
	// NoFile is hsup's --nofile; both resource limits get this many
	// files. 0 leaves launchd's defaults (soft DefaultSoftNoFile).
	NoFile uint64
}

// NewJob checks c and builds the Job, or returns an error naming the first
// value that would make a broken plist.
func NewJob(c Config) (Job, error) {
	if err := ValidateLabel(c.Label); err != nil {
		return Job{}, err
	}
	argv, err := programArguments(c)
	if err != nil {
		return Job{}, err
	}
	exit, err := exitTimeOut(c)
	if err != nil {
		return Job{}, err
	}
	logDir, err := c.logDir()
	if err != nil {
		return Job{}, err
	}
	if err := c.checkDirs(); err != nil {
		return Job{}, err
	}
	j := Job{
		Label:             c.Label,
		ProgramArguments:  argv,
		RunAtLoad:         true,
		KeepAlive:         true,
		ThrottleInterval:  ceilSeconds(DefaultThrottleInterval),
		ExitTimeOut:       exit,
		StandardOutPath:   path.Join(logDir, "stdout.log"),
		StandardErrorPath: path.Join(logDir, "stderr.log"),
		WorkingDirectory:  c.WorkingDirectory,
	}
	if j.SoftResourceLimits, j.HardResourceLimits, err = limits(c.NoFile); err != nil {
		return Job{}, err
	}
	j.EnvironmentVariables = c.environment()
	return j, nil
}

// environment is the job's EnvironmentVariables: PATH and HOME when known,
// nil (the key left out) when neither is.
func (c Config) environment() map[string]string {
	env := map[string]string{}
	if c.Path != "" {
		env["PATH"] = c.Path
	}
	if c.Home != "" {
		env["HOME"] = c.Home
	}
	if len(env) == 0 {
		return nil
	}
	return env
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

func (c Config) logDir() (string, error) {
	if c.LogDir != "" {
		if !path.IsAbs(c.LogDir) {
			return "", fmt.Errorf("log directory %q: must be absolute; pass --log-dir with a full path", c.LogDir)
		}
		return c.LogDir, plistString("log directory", c.LogDir)
	}
	if !path.IsAbs(c.Home) {
		return "", fmt.Errorf("home directory %q: must be absolute to place logs; set HOME or pass --log-dir", c.Home)
	}
	return path.Join(c.Home, "Library", "Logs", c.Label), nil
}

// limits returns the resource-limit dictionaries for --nofile, hard equal
// to soft: hsup gives the child --nofile and needs no headroom above it,
// and a hard limit below the soft one would make launchd's setrlimit fail.
func limits(nofile uint64) (*ResourceLimits, *ResourceLimits, error) {
	if nofile == 0 {
		return nil, nil, nil
	}
	if nofile > math.MaxInt32 {
		return nil, nil, fmt.Errorf("file limit %d does not fit a plist integer launchd accepts; lower --nofile", nofile)
	}
	return &ResourceLimits{NumberOfFiles: int(nofile)}, &ResourceLimits{NumberOfFiles: int(nofile)}, nil
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

// Path is where the LaunchAgent plist goes: ~/Library/LaunchAgents/LABEL.plist.
func Path(label, home string) string {
	return filepath.Join(home, "Library", "LaunchAgents", label+".plist")
}

// InstallCommands load the agent into the user's GUI domain, (re)start it
// at once and show its state. bootstrap fails with "Input/output error"
// when the label is already loaded: run UninstallCommands first.
func InstallCommands(label string, uid int, plistPath string) []string {
	domain := "gui/" + strconv.Itoa(uid)
	return []string{
		"launchctl bootstrap " + domain + " " + shellQuote(plistPath),
		"launchctl kickstart -k " + domain + "/" + label,
		"launchctl print " + domain + "/" + label,
	}
}

// UninstallCommands unload the agent (stopping hsup, which stops its child).
func UninstallCommands(label string, uid int) []string {
	return []string{"launchctl bootout gui/" + strconv.Itoa(uid) + "/" + label}
}

// shellQuote quotes a path for a copy-pasted shell command when needed;
// home directories with spaces exist.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
