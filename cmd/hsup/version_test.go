package main

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestVersionOf(t *testing.T) {
	build := func(version string, settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/hsup/hsup", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	const rev = "85fc4fae2ce47088ce6bba77e3a2a05351174e9e"
	tests := []struct {
		name   string
		linked string
		info   *debug.BuildInfo
		want   versionInfo
	}{
		{name: "go install at a version", info: build("v1.2.3"), want: versionInfo{version: "v1.2.3"}},
		{name: "checkout, clean", info: build("(devel)", "vcs.revision", rev, "vcs.modified", "false"),
			want: versionInfo{version: "(devel)", revision: rev}},
		{name: "checkout, dirty", info: build("v0.0.0-20260101000000-85fc4fae2ce4+dirty", "vcs.revision", rev, "vcs.modified", "true"),
			want: versionInfo{version: "v0.0.0-20260101000000-85fc4fae2ce4+dirty", revision: rev + "+dirty"}},
		{name: "-buildvcs=false", info: build("(devel)"), want: versionInfo{version: "(devel)"}},
		{name: "-X main.version wins", linked: "v9.9.9", info: build("(devel)", "vcs.revision", rev),
			want: versionInfo{version: "v9.9.9", revision: rev}},
		{name: "no build info", linked: "", info: nil, want: versionInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionOf(tt.linked, tt.info); got != tt.want {
				t.Errorf("versionOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestVersionCommand: `hsup version` prints one line, version, revision
// (this test binary is built without VCS information: "(no VCS info)")
// and Go's version; --version says the same.
func TestVersionCommand(t *testing.T) {
	v, rev := buildVersion()
	if rev == "" {
		rev = noVCS
	}
	want := "hsup " + v + " " + rev + " " + runtime.Version() + "\n"
	var out, errb bytes.Buffer
	if code := run([]string{"hsup", "version"}, &out, &errb); code != 0 || out.String() != want {
		t.Fatalf("hsup version: exit %d, %q (stderr %q); want %q", code, out.String(), errb.String(), want)
	}
	out.Reset()
	if code := run([]string{"hsup", "--version"}, &out, &errb); code != 0 || out.String() != "hsup version "+strings.TrimPrefix(want, "hsup ") {
		t.Fatalf("hsup --version: exit %d, %q", code, out.String())
	}
}

func TestBuildInfoMetric(t *testing.T) {
	v, rev := buildVersion()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(buildInfo())
	want := `# HELP hsup_build_info Always 1; the labels say which hsup this is (revision "" when the build recorded none).
# TYPE hsup_build_info gauge
hsup_build_info{goversion="` + runtime.Version() + `",revision="` + rev + `",version="` + v + `"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hsup_build_info"); err != nil {
		t.Fatal(err)
	}
}
