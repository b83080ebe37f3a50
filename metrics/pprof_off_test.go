//go:build hsup_nopprof

package metrics

import (
	"net/http"
	"testing"
)

// TestPprofNotBuilt: without net/http/pprof, Options.Pprof mounts nothing.
// Run with: go test -tags hsup_nopprof -run Pprof ./metrics
func TestPprofNotBuilt(t *testing.T) {
	if PprofBuilt {
		t.Fatal("PprofBuilt in a build with -tags hsup_nopprof")
	}
	m := New(Options{Pprof: true, Labels: testLabels})
	if code, _ := get(t, serve(t, m.Handler())+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/: status %d, want 404", code)
	}
}
