//go:build darwin

package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/hsup/hsup/doctor"
)

// macFacts fills in doctor's macOS facts: who is at the console, where the
// job's plist is, and the paths a launchd job would need (program is
// PROGRAM [ARGS...] as given to doctor, possibly empty). Only stat and
// lookups: nothing is started.
func macFacts(in *doctor.Input, program []string) {
	in.UID = os.Getuid()
	in.GUISession, in.GUIEvidence = guiSession(in.UID)
	in.Home = homeDir()
	in.WorkDir, _ = os.Getwd()
	in.Executable, _ = os.Executable()
	if len(program) > 0 {
		in.Program, in.ProgramTarget = programPaths(program[0])
		in.Args = program[1:]
	}
	if label := doctor.JobLabel(os.Getenv("XPC_SERVICE_NAME")); label != "" {
		in.JobPlist = jobPlist(label, in.Home)
	}
}

// guiSession tells whether uid is logged in at the screen: the console
// user owns /dev/console (root when nobody is, at the login window). A
// user switched away from (fast user switching) keeps a gui domain
// without owning the console.
func guiSession(uid int) (session, evidence string) {
	var st unix.Stat_t
	if err := unix.Stat("/dev/console", &st); err != nil {
		return "unknown", fmt.Sprintf("stat /dev/console: %v", err)
	}
	switch owner := int(st.Uid); {
	case owner == uid:
		return "yes", fmt.Sprintf("/dev/console is owned by uid %d", owner)
	case owner == 0:
		return "no", "/dev/console is owned by root: nobody is logged in at the screen"
	default:
		return "no", fmt.Sprintf("/dev/console is owned by uid %d: another user is at the screen", owner)
	}
}

// homeDir is $HOME, or the user database's when a job runs without it.
func homeDir() string {
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return home
	}
	if u, err := user.LookupId(strconv.Itoa(os.Getuid())); err == nil {
		return u.HomeDir
	}
	return ""
}

// programPaths is the program as hsup would exec it (absolute, looked up
// on PATH) and its symlink target when that differs.
func programPaths(program string) (path, target string) {
	path = program
	if p, err := exec.LookPath(program); err == nil {
		path = p
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if t, err := filepath.EvalSymlinks(path); err == nil && t != path {
		target = t
	}
	return path, target
}

// jobPlist is the plist named after label in the directories launchd
// loads at boot (daemons) and login (agents), "" when none exists.
func jobPlist(label, home string) string {
	dirs := []string{"/Library/LaunchDaemons", "/Library/LaunchAgents"}
	if home != "" {
		dirs = []string{"/Library/LaunchDaemons", filepath.Join(home, "Library", "LaunchAgents"), "/Library/LaunchAgents"}
	}
	for _, dir := range dirs {
		p := filepath.Join(dir, label+".plist")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
