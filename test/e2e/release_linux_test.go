//go:build linux

package e2e

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReleaseScript runs scripts/release.sh for this machine's linux arch
// only (HSUP_TARGETS) and checks what it promises: a static binary of the
// right arch, built with CGO_ENABLED=0, -trimpath and the release tags,
// that prints the stamped version and refuses --pprof, and its checksum. The other three
// targets differ only in GOOS/GOARCH; CI cross-builds darwin separately.
func TestReleaseScript(t *testing.T) {
	t.Parallel()
	dist := t.TempDir()
	const version = "v0.0.0-release-test"
	cmd := exec.Command("../../scripts/release.sh", version)
	cmd.Env = append(os.Environ(), "HSUP_TARGETS=linux/"+runtime.GOARCH, "HSUP_DIST="+dist)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, out)
	}
	bin := filepath.Join(dist, "hsup-linux-"+runtime.GOARCH)
	checkStatic(t, bin)
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" ||
		settings["-tags"] != "urfave_cli_no_docs,nethttpomithttp2,hsup_nopprof" {
		t.Errorf("build settings %v: want CGO_ENABLED=0, -trimpath, the release tags", settings)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "hsup "+version+" ") {
		t.Errorf("%s version: %q, %v; want it to start with %q", bin, out, err, "hsup "+version+" ")
	}
	// Without net/http/pprof, --pprof is one line and exit 2.
	cmd = exec.Command(bin, "run", "--pprof", "--", "true")
	cmd.Env = append(os.Environ(), "HSUP_STATE_DIR="+t.TempDir())
	out, _ = cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), "--pprof") {
		t.Errorf("%s run --pprof: exit %d, %q; want exit 2 naming --pprof", bin, code, out)
	}
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(sums)), "  hsup-linux-"+runtime.GOARCH) {
		t.Errorf("SHA256SUMS %q, %v: want one line for the binary", sums, err)
	}
}

// checkStatic: an ELF executable of this machine's arch with no program
// interpreter (no dynamic loader, so no libc), stripped (-s: no symbol
// table; -w: no DWARF). Go does not record -ldflags beside -trimpath.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if f.Machine != want {
		t.Errorf("%s is for %v, want %v", bin, f.Machine, want)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a program interpreter: dynamically linked", bin)
		}
	}
	for _, s := range f.Sections {
		if s.Name == ".symtab" || strings.HasPrefix(s.Name, ".debug_") {
			t.Errorf("%s has section %s: not built with -ldflags \"-s -w\"", bin, s.Name)
		}
	}
}

// TestReleaseScriptVersion: a VERSION that -ldflags could not carry is
// refused with one line and exit 2, before anything is built.
func TestReleaseScriptVersion(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("../../scripts/release.sh", "v1 -X main.x=y")
	cmd.Env = append(os.Environ(), "HSUP_DIST="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || strings.Count(string(out), "\n") != 1 ||
		!strings.HasPrefix(string(out), "release.sh: VERSION v1 -X main.x=y: ") {
		t.Errorf("exit %d (%v), output %q; want exit 2 and one line", code, err, out)
	}
}
