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
	// StopMargin is added to the stop grace for ExitTimeOut: hsup needs
	// the grace to stop its child, then a moment to exit itself.
	StopMargin = 5 * time.Second
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
	// Hsup is the absolute path of the hsup binary.
	Hsup string
	// RunArgs are the `hsup run` flags exactly as passed; they go between
	// "run" and "--".
	RunArgs []string
	// Program is the absolute path of the supervised program; Args its
	// arguments, passed through unchanged.
	Program string
	Args    []string
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
	// StopGrace is hsup's --stop-grace; ExitTimeOut is StopGrace +
	// StopMargin, rounded up to whole seconds.
	StopGrace time.Duration
	// NoFile is hsup's --nofile; both resource limits get at least this
	// many files (NoFileHard, if larger, for the hard one). 0 leaves
	// launchd's defaults (soft 256).
	NoFile     uint64
	NoFileHard uint64
	// ThrottleInterval; 0 means DefaultThrottleInterval.
	ThrottleInterval time.Duration
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
	exitTimeOut, throttle, err := jobTimes(c)
	if err != nil {
		return Job{}, err
	}
	logDir, err := c.logDir()
	if err != nil {
		return Job{}, err
	}
	if c.Home != "" && !path.IsAbs(c.Home) {
		return Job{}, fmt.Errorf("home directory %q: must be absolute; check HOME", c.Home)
	}
	if c.WorkingDirectory != "" && !path.IsAbs(c.WorkingDirectory) {
		return Job{}, fmt.Errorf("working directory %q: must be absolute; pass the absolute directory to run in", c.WorkingDirectory)
	}
	j := Job{
		Label:             c.Label,
		ProgramArguments:  argv,
		RunAtLoad:         true,
		KeepAlive:         true,
		ThrottleInterval:  throttle,
		ExitTimeOut:       exitTimeOut,
		StandardOutPath:   path.Join(logDir, "stdout.log"),
		StandardErrorPath: path.Join(logDir, "stderr.log"),
		WorkingDirectory:  c.WorkingDirectory,
	}
	if j.SoftResourceLimits, j.HardResourceLimits, err = limits(c.NoFile, c.NoFileHard); err != nil {
		return Job{}, err
	}
	env := map[string]string{}
	if c.Path != "" {
		env["PATH"] = c.Path
	}
	if c.Home != "" {
		env["HOME"] = c.Home
	}
	if len(env) > 0 {
		j.EnvironmentVariables = env
	}
	return j, nil
}

func programArguments(c Config) ([]string, error) {
	if c.Hsup == "" || !path.IsAbs(c.Hsup) {
		return nil, fmt.Errorf("hsup path %q: must be absolute; pass the absolute path of the hsup binary", c.Hsup)
	}
	if c.Program == "" || !path.IsAbs(c.Program) {
		return nil, fmt.Errorf("program %q: must be an absolute path; launchd does not search PATH reliably, give the full path (e.g. from `command -v`)", c.Program)
	}
	argv := append([]string{c.Hsup, "run"}, c.RunArgs...)
	argv = append(argv, "--", c.Program)
	argv = append(argv, c.Args...)
	for _, a := range argv {
		if !utf8.ValidString(a) || strings.IndexByte(a, 0) >= 0 || strings.ContainsFunc(a, invalidXMLRune) {
			return nil, fmt.Errorf("argument %q: a plist string holds only valid UTF-8 text without NUL or control characters other than tab and newline", a)
		}
	}
	return argv, nil
}

// invalidXMLRune reports runes that XML 1.0 cannot carry at all.
func invalidXMLRune(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
}

func jobTimes(c Config) (exitTimeOut, throttle int, err error) {
	if c.StopGrace < 0 || c.StopGrace+StopMargin > maxExitTimeOut {
		return 0, 0, fmt.Errorf("stop grace %s: must be between 0s and %s; lower --stop-grace", c.StopGrace, maxExitTimeOut-StopMargin)
	}
	t := c.ThrottleInterval
	if t == 0 {
		t = DefaultThrottleInterval
	}
	if t < time.Second || t > time.Hour {
		return 0, 0, fmt.Errorf("throttle interval %s: must be between 1s and 1h", t)
	}
	return ceilSeconds(c.StopGrace + StopMargin), ceilSeconds(t), nil
}

func ceilSeconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}

func (c Config) logDir() (string, error) {
	if c.LogDir != "" {
		if !path.IsAbs(c.LogDir) {
			return "", fmt.Errorf("log directory %q: must be absolute; pass --log-dir with a full path", c.LogDir)
		}
		return c.LogDir, nil
	}
	if !path.IsAbs(c.Home) {
		return "", fmt.Errorf("home directory %q: must be absolute to place logs; set HOME or pass --log-dir", c.Home)
	}
	return path.Join(c.Home, "Library", "Logs", c.Label), nil
}

// limits returns the resource-limit dictionaries for --nofile. The hard
// limit must not be below the soft one, or launchd's setrlimit fails.
func limits(soft, hard uint64) (*ResourceLimits, *ResourceLimits, error) {
	if soft == 0 {
		return nil, nil, nil
	}
	if hard == 0 {
		hard = soft
	}
	if hard < soft {
		return nil, nil, fmt.Errorf("hard file limit %d is below --nofile %d; raise the hard limit or lower --nofile", hard, soft)
	}
	if hard > math.MaxInt32 {
		return nil, nil, fmt.Errorf("file limit %d does not fit a plist integer launchd accepts; lower --nofile", hard)
	}
	return &ResourceLimits{NumberOfFiles: int(soft)}, &ResourceLimits{NumberOfFiles: int(hard)}, nil
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
