package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// when it is not, buildVersion reports the module version Go recorded.
var version string

// noVCS is what hsup says for the revision of a binary built without VCS
// information (-buildvcs=false, a build outside a checkout).
const noVCS = "(no VCS info)"

// buildVersion is hsup's version and the commit it was built from, read
// once from the binary. The version is -X main.version when set, else the
// module version Go recorded: v1.2.3 for `go install ...@v1.2.3`, a
// pseudo-version or "(devel)" for a build in a checkout ("" only for a
// binary without build information). The revision is vcs.revision, with
// "+dirty" when the checkout had uncommitted changes (vcs.modified); ""
// when the build recorded none.
func buildVersion() (string, string) {
	v := readVersion()
	return v.version, v.revision
}

type versionInfo struct{ version, revision string }

var readVersion = sync.OnceValue(func() versionInfo {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	return versionOf(version, info)
})

// versionOf is buildVersion's decision: linked is -X main.version, info
// the binary's build information (nil when it has none).
func versionOf(linked string, info *debug.BuildInfo) versionInfo {
	v := versionInfo{version: linked}
	if info == nil {
		return v
	}
	if v.version == "" {
		v.version = info.Main.Version
	}
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.revision = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if v.revision != "" && dirty {
		v.revision += "+dirty"
	}
	return v
}

// versionText is hsup's version as `hsup version` and `hsup --version`
// print it: version, revision (or "(no VCS info)") and Go's version.
func versionText() string {
	v, rev := buildVersion()
	if v == "" {
		v = "(unknown)"
	}
	if rev == "" {
		rev = noVCS
	}
	return fmt.Sprintf("%s %s %s", v, rev, runtime.Version())
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print hsup's version, the commit it was built from (or \"(no VCS info)\") and Go's version",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprintf(c.App.Writer, "hsup %s\n", versionText())
			return err
		},
	}
}

// buildInfo is hsup_build_info{version,revision,goversion}, always 1: the
// version a scraped hsup runs, joinable with its other series.
func buildInfo() prometheus.Collector {
	v, rev := buildVersion()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "hsup_build_info",
		Help:        "Always 1; the labels say which hsup this is (revision \"\" when the build recorded none).",
		ConstLabels: prometheus.Labels{"version": v, "revision": rev, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}
