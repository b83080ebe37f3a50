//go:build hsup_nopprof

package metrics

import "net/http"

// PprofBuilt reports whether this build links net/http/pprof: not with
// -tags hsup_nopprof, so Options.Pprof mounts nothing.
const PprofBuilt = false

func mountPprof(*http.ServeMux) {}
