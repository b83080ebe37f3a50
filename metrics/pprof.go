//go:build !hsup_nopprof

package metrics

import (
	"net/http"
	"net/http/pprof"
)

// PprofBuilt reports whether this build links net/http/pprof, which
// Options.Pprof mounts (every build but one with -tags hsup_nopprof).
const PprofBuilt = true

// mountPprof mounts net/http/pprof's handlers under /debug/pprof/.
func mountPprof(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}
