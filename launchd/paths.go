package launchd

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// SystemPath holds the directories every job's PATH ends with: /usr/sbin
// holds lsof, which hsup's FD counting and bundles need on macOS.
var SystemPath = []string{"/usr/bin", "/bin", "/usr/sbin", "/sbin"}

// tempDirs are directories whose contents do not outlive a reboot or a
// cleanup (macOS keeps per-user temporary directories under /var/folders);
// a PATH entry there is a leftover of one shell session.
var tempDirs = []string{"/tmp", "/private/tmp", "/var/tmp", "/private/var/tmp", "/var/folders", "/private/var/folders"}

// CleanPath turns the generating shell's PATH into a job's: it keeps the
// entries that are absolute directories (isDir reports whether one exists)
// outside temporary directories and that a plist can carry, each once,
// then appends SystemPath's directories it does not hold yet. Relative
// entries, `~/bin`, empty entries (which mean the working directory) and
// directories missing here are dropped: launchd would resolve them
// against its own directory and home, or not at all.
func CleanPath(shellPath string, isDir func(string) bool) string {
	var kept []string
	for _, dir := range strings.Split(shellPath, ":") {
		if !path.IsAbs(dir) || plistString("PATH", dir) != nil {
			continue
		}
		dir = path.Clean(dir)
		if inTempDir(dir) || slices.Contains(kept, dir) || !isDir(dir) {
			continue
		}
		kept = append(kept, dir)
	}
	for _, dir := range SystemPath {
		if !slices.Contains(kept, dir) {
			kept = append(kept, dir)
		}
	}
	return strings.Join(kept, ":")
}

func inTempDir(dir string) bool {
	for _, t := range tempDirs {
		if dir == t || strings.HasPrefix(dir, t+"/") {
			return true
		}
	}
	return false
}

// versionDir matches a directory named for a version: 1.2, v1.2.3,
// 1.2.3_1 (a Homebrew revision), 2.0.0-rc1.
var versionDir = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+)+([._+-][0-9A-Za-z.]*)?$`)

// HsupPath chooses the hsup path for ProgramArguments from the path the
// user ran (ran: absolute, before symlinks are resolved; "" when unknown)
// and the file it resolves to (resolved). The resolved path is used unless
// it lies in a versioned directory, such as a Homebrew Cellar
// (/opt/homebrew/Cellar/hsup/1.2.3/bin/hsup), a directory named for a
// version, or the Nix store, which an upgrade removes; then the stable
// path the user ran (/opt/homebrew/bin/hsup) is kept, if it is not
// versioned itself.
func HsupPath(ran, resolved string) string {
	if ran == "" || !path.IsAbs(ran) || !versioned(resolved) || versioned(ran) {
		return resolved
	}
	return ran
}

// versioned reports whether a file path lies in a directory that one
// version of a package owns.
func versioned(p string) bool {
	if strings.Contains(p, "/Cellar/") || strings.HasPrefix(p, "/nix/store/") {
		return true
	}
	dirs := strings.Split(path.Dir(p), "/")
	for _, d := range dirs {
		if versionDir.MatchString(d) {
			return true
		}
	}
	return false
}
