package launchd

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hsup/hsup/managed"
)

// FuzzGenerateDecode: whatever NewJob accepts, the encoded plist decodes
// to the same Job, ProgramArguments is exactly the command's argv, no hard
// limit is written, a daemon gets no limit and an agent's stays within
// kern.maxfilesperproc; what it refuses, it refuses with one line.
func FuzzGenerateDecode(f *testing.F) {
	c := testConfig()
	f.Add(c.Label, c.Program, c.RunArgs[1], c.Args[5], c.Args[6], c.Home, "", c.WorkingDirectory, c.Path, uint64(4096), int64(10*time.Second),
		"", false, "", "", "", uint64(0))
	f.Add("a.b", "/bin/sleep", "--stop-grace=1s", "1", "", "/root", "/var/log/x", "", "", uint64(0), int64(0),
		"on-failure", true, "ann", "staff", "Interactive", uint64(10240))
	f.Add("x", "/p", "--x=\r\n", "\x01", "\uFFFE", "/", "", "/a b", "/bin", uint64(1<<40), int64(-1),
		"never", true, "", "\x02", "standard", uint64(1<<35))
	f.Add("com.example.webui", "/usr/bin/python3", "]]>", "<!--", "&#0;", "/Users/Ann Lee", "", "/tmp", "/a:/b", uint64(1), int64(24*time.Hour),
		"always", false, "ann", "", "Background", uint64(1))
	f.Fuzz(func(t *testing.T, label, program, runArg, arg1, arg2, home, logDir, wd, pathEnv string, nofile uint64, grace int64,
		restart string, daemon bool, user, group, processType string, maxFiles uint64) {
		c := Config{
			Label: label,
			Command: managed.Command{Hsup: "/usr/local/bin/hsup", RunArgs: []string{runArg}, Program: program,
				Args: []string{arg1, arg2}, StopGrace: time.Duration(grace)},
			Daemon: daemon, UserName: user, GroupName: group, Restart: restart, ProcessType: processType,
			Home: home, LogDir: logDir, WorkingDirectory: wd, Path: pathEnv, NoFile: nofile, MaxFilesPerProc: maxFiles,
		}
		want, err := NewJob(c)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("refusal is not one line: %q", err)
			}
			return
		}
		data, err := Encode(want)
		if err != nil {
			t.Fatalf("Encode of an accepted job: %v", err)
		}
		got, err := Decode(data)
		if err != nil {
			t.Fatalf("Decode of a generated plist: %v\n%s", err, data)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip:\n got %#v\nwant %#v\n%s", got, want, data)
		}
		logs, _ := c.LogDirectory()
		c.RunArgs = logFileArgs(c.RunArgs, logs)
		if argv, _ := c.Argv(); !slices.Equal(got.ProgramArguments, argv) {
			t.Fatalf("ProgramArguments = %q, want %q", got.ProgramArguments, argv)
		}
		if got.HardResourceLimits != nil || daemon && got.SoftResourceLimits != nil {
			t.Fatalf("limits soft %v hard %v for daemon=%t: want no hard limit, and none at all for a daemon",
				got.SoftResourceLimits, got.HardResourceLimits, daemon)
		}
		if l := got.SoftResourceLimits; l != nil && maxFiles > 0 && uint64(l.NumberOfFiles) > maxFiles {
			t.Fatalf("soft limit %d above kern.maxfilesperproc %d", l.NumberOfFiles, maxFiles)
		}
	})
}
