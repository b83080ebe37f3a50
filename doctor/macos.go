package doctor

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Launchd is doctor's reading of the macOS facts: the launchd domain the
// job is in and whether this user has a GUI session, which a LaunchAgent
// (domain gui/UID) needs. It is zero when the facts were not gathered
// (not macOS).
type Launchd struct {
	// Domain is where the running job is: gui/UID, system, or unknown;
	// "" when hsup is not a launchd job. DomainWhy says how it was told.
	Domain    string
	DomainWhy string
	// GUISession is "yes" when this user is logged in at the console,
	// "no" when not, "unknown"; GUIEvidence says how it was told.
	GUISession  string
	GUIEvidence string
	// Install says where a job would go, when hsup is not a job yet.
	Install string
}

// launchDaemonsDir holds the system domain's plists; a LaunchDaemon runs
// from boot, with or without a login.
const launchDaemonsDir = "/Library/LaunchDaemons/"

func launchdFacts(in Input, m Manager) Launchd {
	if in.GOOS != "darwin" || in.GUISession == "" {
		return Launchd{}
	}
	l := Launchd{GUISession: in.GUISession, GUIEvidence: in.GUIEvidence}
	if m.Name != "launchd" {
		l.Install = fmt.Sprintf("`hsup launchd plist` installs a LaunchAgent into gui/%d, `hsup launchd plist --daemon` a LaunchDaemon into system", in.UID)
		return l
	}
	l.Domain, l.DomainWhy = jobDomain(in)
	return l
}

// jobDomain is the domain of a running job, from where its plist is and
// who is at the console. launchd tells a job nothing about its domain, so
// when the facts do not settle it the answer is "unknown".
func jobDomain(in Input) (domain, why string) {
	uid := strconv.Itoa(in.UID)
	label := JobLabel(in.Getenv("XPC_SERVICE_NAME"))
	switch {
	case strings.HasPrefix(in.JobPlist, launchDaemonsDir):
		return "system", "its plist is a LaunchDaemon, " + in.JobPlist
	case in.UID == 0:
		return "system", "it runs as root"
	case in.JobPlist == "":
		return "unknown", "no " + label + ".plist in /Library/LaunchDaemons, ~/Library/LaunchAgents or /Library/LaunchAgents"
	case in.GUISession == "yes":
		return "gui/" + uid, "its plist is a LaunchAgent, " + in.JobPlist + ", and uid " + uid + " is logged in at the console"
	}
	if in.GUISession != "no" {
		return "unknown", "its plist is a LaunchAgent, " + in.JobPlist + ", but whether uid " + uid + " is at the console is unknown"
	}
	return "unknown", "its plist is a LaunchAgent, " + in.JobPlist + ", but uid " + uid +
		" is not at the console: gui/" + uid + " if its session is in the background (fast user switching), user/" + uid + " if it was bootstrapped there"
}

// sessionWarnings: a LaunchAgent needs its user logged in at the screen.
func sessionWarnings(in Input, l Launchd) []string {
	if l.GUISession != "no" || in.UID == 0 || l.Domain == "system" {
		return nil
	}
	fix := "on a headless Mac install a LaunchDaemon instead: `hsup launchd plist --daemon`"
	if l.Domain == "" {
		return []string{fmt.Sprintf("no GUI session for uid %d (%s): the LaunchAgent `hsup launchd plist` writes lives in gui/%d, which exists only while you are logged in at the screen; `launchctl bootstrap gui/%d` fails from SSH (125: Domain does not support specified action) and after a reboot without automatic login (never with FileVault) nothing starts; %s",
			in.UID, l.GUIEvidence, in.UID, in.UID, fix)}
	}
	if in.JobPlist == "" { // not known to be an agent
		return nil
	}
	return []string{fmt.Sprintf("the job is a LaunchAgent and uid %d is not logged in at the screen (%s): it stops at logout and, after a reboot, starts only once you log in; %s",
		in.UID, l.GUIEvidence, fix)}
}

// TCCHit is a path under a folder that macOS guards with TCC
// (Transparency, Consent and Control).
type TCCHit struct {
	Path   string // absolute and cleaned
	Folder string // the guarded folder, e.g. "~/Documents" or "/Volumes"
}

// tccHomeFolders are the guarded folders in a home directory.
var tccHomeFolders = []struct{ rel, name string }{
	{"Desktop", "%s/Desktop"},
	{"Documents", "%s/Documents"},
	{"Downloads", "%s/Downloads"},
	{"Library/Mobile Documents", "iCloud Drive (%s/Library/Mobile Documents)"},
}

// TCCProtected returns the paths that lie under a folder macOS guards with
// TCC: ~/Desktop, ~/Documents, ~/Downloads, iCloud Drive (~/Library/Mobile
// Documents) and /Volumes (removable and network volumes). A launchd job
// that touches them gets "Operation not permitted" and no prompt. home
// expands a leading "~/"; the folders of every home under /Users count,
// not only home's (a root doctor checks a user's app). Matching ignores
// case, as APFS does by default. Relative paths are skipped: resolve them
// first. Pure: the paths need not exist.
func TCCProtected(home string, paths []string) []TCCHit {
	var hits []TCCHit
	for _, p := range paths {
		if rest, ok := strings.CutPrefix(p, "~/"); ok && home != "" {
			p = path.Join(home, rest)
		}
		if !path.IsAbs(p) {
			continue
		}
		p = path.Clean(p)
		if f := tccFolder(home, p); f != "" {
			hits = append(hits, TCCHit{Path: p, Folder: f})
		}
	}
	return hits
}

func tccFolder(home, p string) string {
	if under(p, "/Volumes") {
		return "/Volumes"
	}
	var homes []string
	if path.IsAbs(home) {
		homes = append(homes, path.Clean(home))
	}
	if len(p) > len("/Users/") && strings.EqualFold(p[:len("/Users/")], "/Users/") {
		name, _, _ := strings.Cut(p[len("/Users/"):], "/")
		if !strings.EqualFold(name, "Shared") {
			homes = append(homes, "/Users/"+name)
		}
	}
	for i, h := range homes {
		shown := h
		if i == 0 && h == path.Clean(home) {
			shown = "~"
		}
		for _, f := range tccHomeFolders {
			if under(p, h+"/"+f.rel) {
				return fmt.Sprintf(f.name, shown)
			}
		}
	}
	return ""
}

// under reports whether p is dir or inside it, ignoring case.
func under(p, dir string) bool {
	return strings.EqualFold(p, dir) || len(p) > len(dir) && p[len(dir)] == '/' && strings.EqualFold(p[:len(dir)], dir)
}

// argPaths picks the arguments that look like paths: absolute, "~/...",
// or relative with a slash (joined to workDir), alone or as the value of
// --flag=VALUE. URLs are not paths; a bare name is in workDir, which is
// checked itself.
func argPaths(workDir string, args []string) []string {
	var out []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			_, v, ok := strings.Cut(a, "=")
			if !ok {
				continue
			}
			a = v
		}
		switch {
		case strings.HasPrefix(a, "/"), strings.HasPrefix(a, "~/"):
			out = append(out, a)
		case strings.Contains(a, "/") && !strings.Contains(a, "://") && path.IsAbs(workDir):
			out = append(out, path.Join(workDir, a))
		}
	}
	return out
}

// tccWarnings is one warning naming every path a launchd job would need
// from a TCC-guarded folder.
func tccWarnings(in Input) []string {
	if in.GOOS != "darwin" {
		return nil
	}
	type named struct{ what, path string }
	check := []named{{"hsup", in.Executable}, {"the program", in.Program}, {"the program's target", in.ProgramTarget}, {"the working directory", in.WorkDir}}
	for _, a := range argPaths(in.WorkDir, in.Args) {
		check = append(check, named{"the argument", a})
	}
	var hits []string
	for _, c := range check {
		if c.path == "" {
			continue
		}
		for _, h := range TCCProtected(in.Home, []string{c.path}) {
			hits = append(hits, fmt.Sprintf("%s %s (%s)", c.what, h.Path, h.Folder))
		}
	}
	if len(hits) == 0 {
		return nil
	}
	return []string{strings.Join(hits, "; ") + ": macOS guards these folders (TCC), and a LaunchAgent or LaunchDaemon reading them gets a silent \"Operation not permitted\" (a job is never asked); " +
		"move the app and its data out (for example to /usr/local/<app> or ~/srv/<app>), or grant hsup Full Disk Access in System Settings > Privacy & Security"}
}
